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
	return fmt.Sprintf("sequential round trips of %s text messages; percentiles with the libraries taking turns, one CPU", sizeLabel(e.Size))
}

// Metrics implements Scenario.
func (Echo) Metrics() []Metric {
	return []Metric{
		{Key: "p50_us", Ratio: true, Header: "p50", Better: Lower, Format: FormatMicros},
		{Key: "p99_us", Ratio: true, Header: "p99", Better: Lower, Format: FormatMicros},
		{Key: "allocs", Header: "allocs/rt", Better: Lower, Format: FormatCount},
		{Key: "bytes", Header: "B/rt", Better: Lower, Format: FormatBytes},
		{Key: "cpu_ns", Header: "CPU ns/rt", Better: Lower, Format: FormatCount},
		{Key: "syscalls", Header: "syscalls/rt", Better: Lower, Format: FormatCount},
	}
}

// Applies implements Scenario.
func (Echo) Applies(drivers.Driver) bool { return true }

// Run implements Scenario: the round trips of one library alone, which
// the self-check uses and which give every metric but the percentiles in
// a measured round (see RunJoint).
func (e Echo) Run(ctx context.Context, env Env, d drivers.Driver) (_ Result, err error) {
	unpin, err := pin(ctx, env)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, unpin()) }()
	return e.solo(ctx, env, d)
}

// solo is Run on CPUs already pinned.
func (e Echo) solo(ctx context.Context, env Env, d drivers.Driver) (Result, error) {
	count := env.scaled(e.Count, 20)
	c, err := e.open(ctx, env, d)
	if err != nil {
		return nil, err
	}
	rtts := make([]time.Duration, 0, count)
	m := startMeter()
	for i := 0; i < count && err == nil; i++ {
		var rtt time.Duration
		rtt, err = c.roundTrip()
		rtts = append(rtts, rtt)
	}
	s := m.stop()
	if err = errors.Join(err, c.Close()); err != nil {
		return nil, err
	}
	r := Result{}
	putPercentiles(r, rtts)
	s.perOp(r, count, "")
	return r, nil
}

// RunJoint implements Joint, pinned once for the whole round. Each
// library first runs alone (as in Run), for
// the allocations, CPU and system calls, which can only be told apart one
// library at a time; then all of them together, taking turns round trip
// by round trip (A B C D, B C D A, ...), for the percentiles. Latency on a
// shared machine drifts by tens of percent between seconds; taking turns
// gives every library the same moments. The percentiles of the solo run
// stay in the JSON as p50_solo_us and p99_solo_us.
func (e Echo) RunJoint(ctx context.Context, env Env, ds []drivers.Driver) []JointResult {
	out := make([]JointResult, len(ds))
	unpin, err := pin(ctx, env)
	if err != nil {
		for i := range out {
			out[i] = JointResult{Err: err}
		}
		return out
	}
	defer func() {
		if err := unpin(); err != nil {
			for i := range out {
				out[i] = JointResult{Err: err}
			}
		}
	}()
	conns, live := soloThenOpen(out, ds, map[string]string{"p50_us": "p50_solo_us", "p99_us": "p99_solo_us"},
		func(d drivers.Driver) (Result, error) { return e.solo(ctx, env, d) },
		func(d drivers.Driver) (*echoConn, error) { return e.open(ctx, env, d) })
	count := env.scaled(e.Count, 20)
	rtts := make([][]time.Duration, len(ds))
	takeTurns(ctx, out, live, count, func(_, i int) error {
		rtt, err := conns[i].roundTrip()
		if err == nil {
			rtts[i] = append(rtts[i], rtt)
		}
		return err
	})
	for _, i := range live {
		out[i].Err = errors.Join(out[i].Err, conns[i].Close())
		if out[i].Err == nil {
			putPercentiles(out[i].Result, rtts[i])
		}
	}
	return out
}

// pin confines the client and the server to one CPU when Env allows it,
// and returns what undoes that (a no-op where pinning is unavailable).
func pin(ctx context.Context, env Env) (func() error, error) {
	if env.Pin != nil {
		unpin, err := env.Pin(ctx)
		if err == nil {
			return unpin, nil
		}
		if !errors.Is(err, cpupin.ErrUnsupported) {
			return nil, err
		}
	}
	return func() error { return nil }, nil
}

// echoConn is one library's connection to the echo route, warmed up.
type echoConn struct {
	drivers.Conn
	p      []byte
	seq    uint64
	check  drivers.Check
	verify bool
}

// open dials d and runs the unmeasured round trips.
func (e Echo) open(ctx context.Context, env Env, d drivers.Driver) (*echoConn, error) {
	c, err := dial(ctx, d, env.url("/echo"))
	if err != nil {
		return nil, err
	}
	ec := &echoConn{Conn: c, p: payload.New(e.Size), verify: env.Verify}
	ec.check = func(_ int, text bool, b []byte) error {
		if !text {
			return fmt.Errorf("echo %d: binary, want text", ec.seq)
		}
		return payload.Check(b, e.Size, ec.seq)
	}
	for range echoWarmup {
		if _, err := ec.roundTrip(); err != nil {
			return nil, errors.Join(err, c.Close())
		}
	}
	return ec, nil
}

// roundTrip sends the next numbered message and waits for it to come
// back, returning the time from the write to the reply read.
func (c *echoConn) roundTrip() (time.Duration, error) {
	payload.Stamp(c.p, c.seq)
	if c.verify {
		c.Expect(1, c.check)
	} else {
		c.Expect(1, nil)
	}
	t0 := time.Now()
	err := c.Write(true, c.p)
	if err == nil {
		err = c.Wait()
	}
	rtt := time.Since(t0)
	c.seq++
	return rtt, err
}

// putPercentiles records the p50 and p99 of rtts in r.
func putPercentiles(r Result, rtts []time.Duration) {
	slices.Sort(rtts)
	r["p50_us"] = micros(percentile(rtts, 0.50))
	r["p99_us"] = micros(percentile(rtts, 0.99))
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
