package wstest_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine outlives them: every
// server a test starts must stop everything it ran.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
