package transport

import (
	"context"
	"testing"

	"github.com/sturdyws/sturdy/internal/testctx"
)

// untilTestDeadline is testctx.UntilDeadline: no wall-clock bound of its
// own (a fixed 30 s failed TestConcurrentWritesDoNotInterleave beside CPU
// burners).
func untilTestDeadline(t *testing.T) context.Context { return testctx.UntilDeadline(t) }
