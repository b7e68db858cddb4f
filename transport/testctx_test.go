package transport

import (
	"context"
	"testing"
	"time"
)

// untilTestDeadline returns a context for a test's waits: it ends with the
// test, or a tenth of the way before the test binary's -timeout would stop
// it, so a hung read or write fails its own test with its own message. It
// has no wall-clock bound of its own: waits end on events, and a loaded
// machine (CPU burners, GOMAXPROCS=1) may take far longer than an idle one
// (a fixed 30 s failed TestConcurrentWritesDoNotInterleave there).
func untilTestDeadline(t *testing.T) context.Context {
	t.Helper()
	ctx := t.Context()
	if d, ok := t.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, d.Add(-time.Until(d)/10))
		t.Cleanup(cancel)
	}
	return ctx
}
