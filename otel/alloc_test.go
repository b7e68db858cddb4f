package otel_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/sturdyws/sturdy/client"
	"github.com/sturdyws/sturdy/transport"
)

// TestPerMessageCallsAllocateNothing: what the Client calls for every
// message and every round trip records into the SDK without allocating,
// once each attribute set has its first data point.
func TestPerMessageCallsAllocateNothing(t *testing.T) {
	s := newSDK(t)
	calls := func() {
		s.obs.MessagesSent(3, 192)
		s.obs.MessageReceived(transport.MessageBinary, 64)
		s.obs.RTT(250 * time.Microsecond)
		s.obs.DeadLetter(client.ReasonOverflow, 64)
	}
	calls() // the first data point of each set allocates it
	assert.Zero(t, testing.AllocsPerRun(1000, calls))
}
