package scenario

import (
	"context"
	"errors"
	"fmt"

	"github.com/sturdyws/sturdy/bench/internal/drivers"
	"github.com/sturdyws/sturdy/bench/internal/payload"
)

// Send measures sending: Count binary messages of Size bytes to a sink
// that discards them, timed until the sink's acknowledgement of the last
// one arrives (so bytes still in buffers are not counted as sent).
type Send struct {
	Size, Count int
}

// Name implements Scenario.
func (s Send) Name() string { return "send-" + sizeName(s.Size) }

// Describe implements Scenario.
func (s Send) Describe() string {
	return fmt.Sprintf("client sends %s binary messages to a discarding sink, until it acknowledges the last", sizeLabel(s.Size))
}

// Metrics implements Scenario.
func (Send) Metrics() []Metric {
	return []Metric{
		{Key: "msgs_per_s", Ratio: true, Header: "msgs/s", Better: Higher, Format: FormatCount},
		{Key: "allocs", Header: "allocs/msg", Better: Lower, Format: FormatCount},
		{Key: "bytes", Header: "B/msg", Better: Lower, Format: FormatBytes},
		{Key: "cpu_ns", Header: "CPU ns/msg", Better: Lower, Format: FormatCount},
	}
}

// Applies implements Scenario.
func (Send) Applies(drivers.Driver) bool { return true }

// Run implements Scenario.
func (s Send) Run(ctx context.Context, env Env, d drivers.Driver) (Result, error) {
	count := env.scaled(s.Count, 10)
	verify := 0
	if env.Verify {
		verify = 1
	}
	c, err := dial(ctx, d, env.url(fmt.Sprintf("/sink?count=%d&size=%d&verify=%d", count, s.Size, verify)))
	if err != nil {
		return nil, err
	}
	want := fmt.Sprintf("ok %d", count)
	c.Expect(1, func(_ int, text bool, b []byte) error {
		if !text || string(b) != want {
			return fmt.Errorf("sink answered %q, want %q", b, want)
		}
		return nil
	})
	p := payload.New(s.Size)
	m := startMeter()
	for i := 0; i < count && err == nil; i++ {
		payload.Stamp(p, uint64(i))
		err = c.Send(p)
	}
	if err == nil {
		err = c.Flush()
	}
	if err == nil {
		err = c.Wait()
	}
	sp := m.stop()
	err = errors.Join(err, c.Close())
	if err != nil {
		return nil, err
	}
	r := Result{"msgs_per_s": float64(count) / sp.wall.Seconds()}
	sp.perOp(r, count, "")
	return r, nil
}
