package scenario

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/sturdyws/sturdy/bench/internal/cpupin"
	"github.com/sturdyws/sturdy/bench/internal/drivers"
	"github.com/sturdyws/sturdy/bench/internal/payload"
)

// echoWarmup round trips run before the measured ones, so connection
// set-up (buffers, the scheduler, TCP's slow start) is not in the
// percentiles.
const echoWarmup = 100

// Echo measures latency: Count sequential round trips of a Size-byte text
// message; each is timed from Write to the reply read. Client and server
// run on one CPU (Env.Pin) where the system allows: on two CPUs of the
// benchmark's virtual machine, every run settled at random into a ~25 µs
// or a ~150 µs mode (an idle CPU woken for each message), whatever the
// library, and the medians compared the modes, not the libraries.
type Echo struct {
	Size, Count int
}

// Name implements Scenario.
func (e Echo) Name() string { return "echo-" + sizeName(e.Size) }

// Describe implements Scenario.
func (e Echo) Describe() string {
	return fmt.Sprintf("sequential round trips of %s text messages", sizeLabel(e.Size))
}

// Metrics implements Scenario.
func (Echo) Metrics() []Metric {
	return []Metric{
		{Key: "p50_us", Ratio: true, Header: "p50", Better: Lower, Format: FormatMicros},
		{Key: "p99_us", Ratio: true, Header: "p99", Better: Lower, Format: FormatMicros},
		{Key: "allocs", Header: "allocs/rt", Better: Lower, Format: FormatCount},
		{Key: "bytes", Header: "B/rt", Better: Lower, Format: FormatBytes},
		{Key: "cpu_ns", Header: "CPU ns/rt", Better: Lower, Format: FormatCount},
	}
}

// Applies implements Scenario.
func (Echo) Applies(drivers.Driver) bool { return true }

// Run implements Scenario.
func (e Echo) Run(ctx context.Context, env Env, d drivers.Driver) (_ Result, err error) {
	count := env.scaled(e.Count, 20)
	if env.Pin != nil {
		unpin, perr := env.Pin(ctx)
		switch {
		case perr == nil:
			defer func() { err = errors.Join(err, unpin()) }()
		case !errors.Is(perr, cpupin.ErrUnsupported):
			return nil, perr
		}
	}
	c, err := dial(ctx, d, env.url("/echo"))
	if err != nil {
		return nil, err
	}
	p := payload.New(e.Size)
	var seq uint64
	check := func(_ int, text bool, b []byte) error {
		if !text {
			return fmt.Errorf("echo %d: binary, want text", seq)
		}
		return payload.Check(b, e.Size, seq)
	}
	roundTrip := func() error {
		payload.Stamp(p, seq)
		if env.Verify {
			c.Expect(1, check)
		} else {
			c.Expect(1, nil)
		}
		if err := c.Write(true, p); err != nil {
			return err
		}
		err := c.Wait()
		seq++
		return err
	}
	for range echoWarmup {
		if err = roundTrip(); err != nil {
			break
		}
	}
	rtts := make([]time.Duration, 0, count)
	m := startMeter()
	for i := 0; i < count && err == nil; i++ {
		t0 := time.Now()
		err = roundTrip()
		rtts = append(rtts, time.Since(t0))
	}
	s := m.stop()
	err = errors.Join(err, c.Close())
	if err != nil {
		return nil, err
	}
	slices.Sort(rtts)
	r := Result{
		"p50_us": micros(percentile(rtts, 0.50)),
		"p99_us": micros(percentile(rtts, 0.99)),
	}
	s.perOp(r, count, "")
	return r, nil
}

// percentile returns the q-quantile of sorted (nearest rank).
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func micros(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e3 }
