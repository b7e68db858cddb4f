package scenario

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"time"

	"github.com/sturdyws/sturdy/bench/internal/drivers"
)

// burstBytes is about how much one turn of the push scenarios' joint
// phase moves: a few milliseconds of work for every library and size (64
// B: 131,072 messages; 1 KiB: 8,192; 1 MiB: 8), long enough that the
// request that starts a burst (one round trip, tens of microseconds) is a
// small and equal share, short enough that every library gets many turns
// within the seconds over which the machine's speed drifts.
const burstBytes = 8 << 20

// RunJoint implements Joint, the way Echo does. Each library first runs
// alone (Run), for the allocations, CPU and system calls, which can only
// be told apart one library at a time. Then all of them receive the same
// number of messages again, taking turns a burst at a time (A B C D, B C D
// A, ...), and msgs/s and MB/s come from the time each spent on its own
// bursts. At 1 MiB a run alone moved anywhere between 1,800 and 5,400
// messages a second on the benchmark's shared two-CPU machine, whatever
// the library (the copy from the kernel is most of the work, and the
// memory bandwidth it needs is shared with the machine's neighbours); two
// identical copies of sturdy differed by 8 % in the median of 30 paired
// rounds. Taking turns every few milliseconds gives every library the
// same moments. The solo figures stay in the JSON as msgs_per_s_solo and
// mb_per_s_solo.
func (p Push) RunJoint(ctx context.Context, env Env, ds []drivers.Driver) []JointResult {
	out := make([]JointResult, len(ds))
	conns, live := soloThenOpen(out, ds, map[string]string{"msgs_per_s": "msgs_per_s_solo", "mb_per_s": "mb_per_s_solo"},
		func(d drivers.Driver) (Result, error) { return p.Run(ctx, env, d) },
		func(d drivers.Driver) (*burstConn, error) { return p.openBursts(ctx, env, d) })
	burst := p.burst(env)
	turns := max(1, env.scaled(p.Count, 3)/burst)
	spent := make([]time.Duration, len(ds))
	takeTurns(ctx, out, live, turns, func(t, i int) error {
		var d time.Duration
		var err error
		labelled(ds[i], "turns", func() { d, err = conns[i].receive(burst, env.Verify) })
		if err != nil {
			return fmt.Errorf("turn %d: %w", t, err)
		}
		spent[i] += d
		return nil
	})
	for _, i := range live {
		out[i].Err = errors.Join(out[i].Err, ctx.Err(), conns[i].Close())
		if out[i].Err == nil {
			putRate(out[i].Result, turns*burst, p.Size, spent[i])
		}
	}
	return out
}

// burst returns how many messages one turn asks for: burstBytes' worth,
// but no more than the scaled count, so a run at a tiny scale stays tiny.
func (p Push) burst(env Env) int {
	return max(1, min(burstBytes/p.Size, env.scaled(p.Count, 3)))
}

// burstConn is one library's connection to the push route in burst mode.
type burstConn struct {
	drivers.Conn
	size int
	seq  uint64 // number of the next message the server sends
}

// openBursts dials d to the push route in burst mode and receives two
// bursts with every byte checked, unmeasured: they grow the buffers and
// TCP's windows, and prove the library reads bursts right, since the
// self-check runs each library alone.
func (p Push) openBursts(ctx context.Context, env Env, d drivers.Driver) (*burstConn, error) {
	c, err := dial(ctx, d, env.url(fmt.Sprintf("/push?size=%d", p.Size)))
	if err != nil {
		return nil, err
	}
	bc := &burstConn{Conn: c, size: p.Size}
	for range 2 {
		if _, err := bc.receive(p.burst(env), true); err != nil {
			return nil, errors.Join(fmt.Errorf("warm-up burst: %w", err), c.Close())
		}
	}
	return bc, nil
}

// receive asks the server for the next n messages and returns the time
// from the request to the last of them read, checking each when verify is
// set. It collects garbage first, as a solo run does: otherwise the
// garbage of a library that allocates per message (gws and the Client
// copy each 1 MiB message) is collected during the next library's turn,
// and that one pays for it.
func (c *burstConn) receive(n int, verify bool) (time.Duration, error) {
	var check drivers.Check
	if verify {
		first := c.seq
		check = binaryCheck(c.size, func(i int) uint64 { return first + uint64(i) })
	}
	c.Expect(n, check)
	runtime.GC()
	t0 := time.Now()
	err := c.Write(true, strconv.AppendInt(nil, int64(n), 10))
	if err == nil {
		err = c.Wait()
	}
	d := time.Since(t0)
	c.seq += uint64(n)
	return d, err
}
