package scenario

import (
	"context"
	"fmt"
	"time"

	"github.com/sturdyws/sturdy/bench/internal/drivers"
	"github.com/sturdyws/sturdy/bench/internal/memconn"
)

// Decode measures what a library itself spends to receive a message: the
// client reads Count binary messages of Size bytes from an in-memory
// connection (memconn) that always has the next bytes ready, so no system
// call, no scheduler wake-up and no server share the clock with it. The
// push scenarios measure the same work through a socket, where reading
// from the kernel is most of the cost.
type Decode struct {
	Size, Count int
}

// Name implements Scenario.
func (d Decode) Name() string { return "decode-" + sizeName(d.Size) }

// Describe implements Scenario.
func (d Decode) Describe() string {
	return fmt.Sprintf("client reads %s binary messages from memory (no socket): the library's own cost", sizeLabel(d.Size))
}

// Metrics implements Scenario: those of Push.
func (Decode) Metrics() []Metric { return Push{}.Metrics() }

// Applies implements Scenario: every driver reads.
func (Decode) Applies(drivers.Driver) bool { return true }

// decodeCycleBytes is about how much distinct wire data a stream holds
// before it repeats: more than any library's read buffer, so no library
// reads the same few frames from a warm cache line by line.
const decodeCycleBytes = 256 << 10

// Run implements Scenario.
func (d Decode) Run(ctx context.Context, env Env, drv drivers.Driver) (Result, error) {
	count := env.scaled(d.Count, 3)
	stream := memconn.NewStream(d.Size, max(2, decodeCycleBytes/d.Size))
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	c, err := drv.Dial(ctx, "ws://memconn/decode", stream.Dial())
	cancel()
	if err != nil {
		return nil, fmt.Errorf("dial memconn: %w", err)
	}
	var check drivers.Check
	if env.Verify {
		check = binaryCheck(d.Size, func(i int) uint64 { return uint64(i % stream.Cycle) })
	}
	return receiveAll(c, count, d.Size, check)
}
