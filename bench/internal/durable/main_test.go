package durable

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

// TestMain doubles as the child process when the test binary is re-run
// as one (see startChild), and checks for leaked goroutines otherwise.
func TestMain(m *testing.M) {
	if IsChild() {
		os.Exit(ChildMain())
	}
	goleak.VerifyTestMain(m)
}
