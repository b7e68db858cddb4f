package testctx

import (
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The context ends before the test binary's deadline, and with the test.
func TestUntilDeadline(t *testing.T) {
	var ended <-chan struct{}
	t.Run("inner", func(t *testing.T) {
		ctx := UntilDeadline(t)
		if d, ok := t.Deadline(); ok {
			got, has := ctx.Deadline()
			if !has || !got.Before(d) {
				t.Fatalf("context deadline %v (set: %v), test binary's %v", got, has, d)
			}
		}
		if ctx.Err() != nil {
			t.Fatal("ended early")
		}
		ended = ctx.Done()
	})
	select {
	case <-ended:
	case <-time.After(time.Minute):
		t.Fatal("the context outlived its test")
	}
}
