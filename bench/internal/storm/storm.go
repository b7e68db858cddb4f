// Package storm simulates a fleet of Clients reconnecting after their
// server restarts, on a virtual clock, with the Client's own backoff code
// (client.Backoff) deciding every wait. It answers, without a million
// sockets, how a reconnect policy loads the servers: how high the peak of
// handshakes rises over the mean, how long until every Client is back, and
// how many attempts that took. The same seed gives the same result.
package storm

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/sturdyws/sturdy/client"
)

// Config describes one storm.
type Config struct {
	// Clients is how many Clients were connected when the server went
	// down at time 0.
	Clients int
	// Detect spreads the moments the Clients notice: each at a uniform
	// random time in [0, Detect). Zero: all at time 0 (the worst case).
	// In the scale scenario a killed server's 5,000 connections end at
	// once, but the client process takes a while to see every end: the
	// hand-written loop's first redials (at once, when it notices) come
	// 0–0.5 s after the kill on a quiet machine, up to 1.8 s on a busy one.
	Detect time.Duration
	// Latency is how long an attempt takes before the Client knows it
	// failed and starts its next wait. Zero: no time (a refused dial on
	// the same machine takes well under a slot).
	Latency time.Duration
	// Down is how long the servers stay down; attempts before it fail at
	// once (connection refused).
	Down time.Duration
	// Rate is how many handshakes a second the fleet completes once back;
	// attempts beyond it are refused (503) and retried after the next
	// interval. Zero means unlimited.
	Rate float64
	// Horizon bounds the simulated time; a run that has not brought every
	// Client back by then reports Incomplete. Default 30 minutes.
	Horizon time.Duration
	// Seed makes the run repeatable.
	Seed uint64
}

// Policy makes the backoff of one Client, given the simulation's source of
// randomness, which it must use for every random choice.
type Policy struct {
	Name string
	New  func(r *rand.Rand) backoff.BackOff
	// Immediate makes the first attempt the moment the Client notices,
	// before any wait, as cenkalti's backoff.Retry does (the hand-written
	// loop). The Client waits its first interval first.
	Immediate bool
}

// Result is what the servers saw.
type Result struct {
	Policy string
	// AllBack is when the last Client completed its handshake.
	AllBack time.Duration
	// Attempts is the number of handshakes attempted, refused or not.
	Attempts int
	// PerClient is Attempts / Clients.
	PerClient float64
	// Peak is the most handshakes attempted in one 100 ms window while
	// the servers were up, and Mean their mean per 100 ms window from the
	// servers' return until AllBack: the storm's shape, flat at 1.
	Peak, Mean float64
	// AcceptedPeak is the most handshakes completed in one 100 ms window.
	AcceptedPeak int
	// Windows are the handshakes attempted per 100 ms window from the
	// servers' return to the window holding the last Client's: Peak is
	// the largest and Mean their mean, as the scale scenario's server
	// computes them from its own counts (fleet.Storm.PeakOverMean).
	Windows []int
	// Incomplete counts Clients still not back at the horizon.
	Incomplete int
}

// PeakOverMean is Peak / Mean.
func (r Result) PeakOverMean() float64 {
	if r.Mean == 0 {
		return 0
	}
	return r.Peak / r.Mean
}

// slot is the virtual clock's resolution.
const slot = time.Millisecond

// window is the width of the server's handshake counts.
const window = 100 * time.Millisecond

// Run simulates one storm under policy p.
func Run(cfg Config, p Policy) Result {
	horizon := cfg.Horizon
	if horizon <= 0 {
		horizon = 30 * time.Minute
	}
	slots := int(horizon / slot)
	r := rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15))
	boffs := make([]backoff.BackOff, cfg.Clients)
	// wheel[s] lists the Clients attempting in slot s, in the order they
	// were scheduled, so a run is a pure function of the seed.
	wheel := make(map[int][]int32)
	schedule := func(id int32, at int) {
		if at < slots {
			wheel[at] = append(wheel[at], id)
		}
	}
	res := Result{Policy: p.Name, Incomplete: cfg.Clients}
	for i := range boffs {
		b := p.New(r)
		b.Reset()
		boffs[i] = b
		at := 0
		if cfg.Detect > 0 {
			at = slotOf(time.Duration(r.Float64() * float64(cfg.Detect)))
		}
		if !p.Immediate {
			at += slotOf(b.NextBackOff())
		}
		schedule(int32(i), at)
	}
	upSlot := slotOf(cfg.Down)
	perSlot := math.Inf(1)
	if cfg.Rate > 0 {
		perSlot = cfg.Rate * slot.Seconds()
	}
	windows := map[int]int{}
	accepted := map[int]int{}
	tokens, last := 0.0, 0
	for s := 0; s < slots && res.Incomplete > 0; s++ {
		ids, ok := wheel[s]
		if !ok {
			continue
		}
		delete(wheel, s)
		if s >= upSlot {
			// The fleet completes Rate handshakes a second, with at most
			// one slot's worth saved up while it waited for work.
			tokens = min(tokens+float64(s-last)*perSlot, max(perSlot, 1))
			last = s
		}
		for _, id := range ids {
			res.Attempts++
			if s >= upSlot {
				windows[(s-upSlot)/int(window/slot)]++
				if tokens >= 1 || math.IsInf(perSlot, 1) {
					tokens--
					accepted[(s-upSlot)/int(window/slot)]++
					res.Incomplete--
					res.AllBack = time.Duration(s) * slot
					continue
				}
			}
			d := boffs[id].NextBackOff()
			if d == backoff.Stop {
				continue
			}
			schedule(id, s+max(1, slotOf(cfg.Latency+d)))
		}
	}
	n := 0
	for w, c := range windows {
		res.Peak = max(res.Peak, float64(c))
		n = max(n, w+1)
	}
	for _, c := range accepted {
		res.AcceptedPeak = max(res.AcceptedPeak, c)
	}
	if n > 0 {
		res.Windows = make([]int, n)
		total := 0
		for w, c := range windows {
			res.Windows[w] = c
			total += c
		}
		res.Mean = float64(total) / float64(n)
	}
	res.PerClient = float64(res.Attempts) / float64(cfg.Clients)
	return res
}

func slotOf(d time.Duration) int { return int(d / slot) }

// Policies returns the policies compared: the hand-written loop's
// (cenkalti/backoff's default ExponentialBackOff: ±50 %, ×1.5, at most
// 60 s, its first attempt at once as backoff.Retry makes it, reproduced by
// client.Backoff's ProportionalJitter so that the simulation's seed drives
// it), the Client's defaults of the past (±50 %, ×2, 30 s; then equal
// jitter, 1 s, ×1.25, 30 s, a Backoff's zero value), equal, full and
// decorrelated jitter at 0.5 s, ×2, 30 s, and, last, the Client's default
// now (PhaseJitter over a Backoff's default intervals: 1 s, ×1.25, 30 s).
func Policies() []Policy {
	jitter := func(name string, j client.Jitter, initial time.Duration, mult float64, ceiling time.Duration) Policy {
		return Policy{Name: name, New: func(r *rand.Rand) backoff.BackOff {
			return &client.Backoff{Initial: initial, Multiplier: mult, Max: ceiling, Jitter: j, Rand: r}
		}}
	}
	// backoff.Retry dials before its first wait.
	immediate := func(p Policy) Policy { p.Immediate = true; return p }
	const half = 500 * time.Millisecond
	return []Policy{
		immediate(jitter("hand-written: cenkalti default (±50 %, 0.5 s, ×1.5, 60 s)", client.ProportionalJitter, half, 1.5, time.Minute)),
		jitter("sturdy before 0.1.0: ±50 %, 0.5 s, ×2, 30 s", client.ProportionalJitter, half, 2, 30*time.Second),
		{Name: "sturdy 0.1.0: equal jitter, 1 s, ×1.25, 30 s", New: func(r *rand.Rand) backoff.BackOff {
			return &client.Backoff{Rand: r}
		}},
		jitter("equal jitter, 0.5 s, ×2, 30 s", client.EqualJitter, half, 2, 30*time.Second),
		jitter("full jitter, 0.5 s, ×2, 30 s", client.FullJitter, half, 2, 30*time.Second),
		jitter("decorrelated jitter, 0.5 s, 30 s", client.DecorrelatedJitter, half, 2, 30*time.Second),
		{Name: "sturdy default: phase jitter, 1 s, ×1.25, 30 s", New: func(r *rand.Rand) backoff.BackOff {
			return &client.Backoff{Jitter: client.PhaseJitter, Rand: r}
		}},
	}
}
