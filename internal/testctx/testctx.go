// Package testctx gives tests a context for their waits that has no
// wall-clock bound of its own: tests wait for events, and a loaded machine
// (CPU burners, GOMAXPROCS=1) may take far longer than an idle one.
package testctx

import (
	"context"
	"testing"
	"time"
)

// UntilDeadline returns a context that ends when the test's cleanups run
// (in their order: after those registered later, such as a Close the test
// set up once it had the context), or a tenth of the way before the test
// binary's -timeout would stop it, so a hung wait fails its own test with
// its own message instead of the whole binary.
func UntilDeadline(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	if d, ok := deadline(t); ok {
		ctx, cancel = context.WithDeadline(context.Background(), d.Add(-time.Until(d)/10))
	}
	t.Cleanup(cancel)
	return ctx
}

// deadline is testing.T's Deadline for whatever testing.TB has one.
func deadline(t testing.TB) (time.Time, bool) {
	if d, ok := t.(interface{ Deadline() (time.Time, bool) }); ok {
		return d.Deadline()
	}
	return time.Time{}, false
}
