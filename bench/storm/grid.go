package main

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/sturdyws/sturdy/bench/internal/storm"
	"github.com/sturdyws/sturdy/client"
)

// band is a backoff that client.Backoff does not offer, for the grid: the
// interval grows from initial by mult up to 30 s, and each wait is a
// uniform fraction in [lo, hi) of it (equal jitter is [0.5, 1)), except
// the first after Reset, a fraction in [firstLo, firstHi) of initial.
type band struct {
	initial          time.Duration
	mult             float64
	lo, hi           float64
	firstLo, firstHi float64
	r                *rand.Rand
	iv               time.Duration
}

func (b *band) Reset() { b.iv = 0 }

func (b *band) NextBackOff() time.Duration {
	if b.iv == 0 {
		b.iv = b.initial
		return time.Duration(float64(b.initial) * (b.firstLo + b.r.Float64()*(b.firstHi-b.firstLo)))
	}
	b.iv = time.Duration(min(float64(30*time.Second), float64(b.iv)*b.mult))
	return time.Duration(float64(b.iv) * (b.lo + b.r.Float64()*(b.hi-b.lo)))
}

// The names of the Client's default and of 0.1.0's in the grid.
const (
	gridDefault = "phase jitter, 1s, ×1.25"
	grid010     = "waits [0.50, 1.00) of the interval, the first [0.50, 1.00) of 1s; ×1.25"
)

// gridScore is what the grid measured of a policy at one downtime: the
// means over the seeds, and the worst peak over mean.
type gridScore struct {
	back     time.Duration
	attempts float64
	peak     float64
}

// grid runs issue 21's restart (5,000 Clients, servers down 1, 2 and 5 s,
// seeds 1 to seeds, noticing within detect) for a grid of policies in
// three families and prints, for each family, the top policies: those
// back no later than the hand-written loop with fewer attempts at every
// downtime first, by their worst peak 100 ms over the mean.
func grid(seeds int, detect time.Duration, top int) {
	downs := []time.Duration{time.Second, 2 * time.Second, 5 * time.Second}
	run := func(p storm.Policy) []gridScore {
		out := make([]gridScore, len(downs))
		for i, down := range downs {
			for seed := 1; seed <= seeds; seed++ {
				r := storm.Run(storm.Config{Clients: 5000, Down: down, Detect: detect, Seed: uint64(seed)}, p)
				if r.Incomplete > 0 {
					r.AllBack = time.Hour
				}
				out[i].back += r.AllBack / time.Duration(seeds)
				out[i].attempts += r.PerClient / float64(seeds)
				out[i].peak = max(out[i].peak, r.PeakOverMean())
			}
		}
		return out
	}
	hand := run(storm.Policies()[0])
	type row struct {
		name   string
		scores []gridScore
		beats  bool
		worst  float64
	}
	families := map[string][]row{}
	add := func(family, name string, f func(r *rand.Rand) backoff.BackOff) {
		s := run(storm.Policy{Name: name, New: f})
		w := row{name: name, scores: s, beats: true}
		for i := range s {
			w.beats = w.beats && s[i].back <= hand[i].back && s[i].attempts < hand[i].attempts
			w.worst = max(w.worst, s[i].peak)
		}
		families[family] = append(families[family], w)
	}
	sec := func(x float64) time.Duration { return time.Duration(x * float64(time.Second)) }
	for _, in := range []float64{0.75, 1, 1.25, 1.5} {
		for _, m := range []float64{1.15, 1.2, 1.25, 1.33, 1.5} {
			for _, w := range [][2]float64{{0.5, 1}, {0.6, 1}, {0.4, 1}, {0.33, 1}, {0.25, 1}, {0.5, 1.25}, {0.33, 1.33}, {0.5, 1.5}} {
				for i, f := range [][2]float64{w, {0, 1}, {0.25, 1}, {0.5, 1}, {0.1, 0.6}, {0, 0.5}} {
					if i > 0 && f == w {
						continue // the first wait drawn like the others: done at i == 0
					}
					name := fmt.Sprintf("waits [%.2f, %.2f) of the interval, the first [%.2f, %.2f) of %v; ×%.2f", w[0], w[1], f[0], f[1], sec(in), m)
					add("per-wait jitter", name, func(r *rand.Rand) backoff.BackOff {
						return &band{initial: sec(in), mult: m, lo: w[0], hi: w[1], firstLo: f[0], firstHi: f[1], r: r}
					})
				}
			}
			add("phase jitter", fmt.Sprintf("phase jitter, %v, ×%.2f", sec(in), m), func(r *rand.Rand) backoff.BackOff {
				return &client.Backoff{Initial: sec(in), Multiplier: m, Jitter: client.PhaseJitter, Rand: r}
			})
		}
	}
	for _, in := range []float64{0.25, 0.5, 0.75, 1} {
		add("decorrelated jitter", fmt.Sprintf("decorrelated jitter, %v", sec(in)), func(r *rand.Rand) backoff.BackOff {
			return &client.Backoff{Initial: sec(in), Jitter: client.DecorrelatedJitter, Rand: r}
		})
	}
	fmt.Printf("5000 Clients, servers down %v; noticed within %v; seeds 1–%d: all back (mean), attempts per Client (mean), peak 100 ms / mean (worst seed)\n\n", downs, detect, seeds)
	fmt.Print("| policy | beats the hand-written loop |")
	for _, d := range downs {
		fmt.Printf(" down %v |", d)
	}
	fmt.Print("\n|---|---|")
	for range downs {
		fmt.Print("---|")
	}
	fmt.Println()
	line := func(name string, beats bool, s []gridScore) {
		fmt.Printf("| %s | %v |", name, beats)
		for _, x := range s {
			fmt.Printf(" %v, %.2f, %.2f |", x.back.Round(10*time.Millisecond), x.attempts, x.peak)
		}
		fmt.Println()
	}
	line("hand-written: cenkalti default", true, hand)
	for _, family := range []string{"phase jitter", "per-wait jitter", "decorrelated jitter"} {
		rows := families[family]
		slices.SortStableFunc(rows, func(a, b row) int {
			if a.beats != b.beats {
				if a.beats {
					return -1
				}
				return 1
			}
			switch {
			case a.worst < b.worst:
				return -1
			case a.worst > b.worst:
				return 1
			}
			return 0
		})
		for i, w := range rows {
			// The Client's default and 0.1.0's are shown wherever they rank.
			if i < top || w.name == gridDefault || w.name == grid010 {
				line(w.name, w.beats, w.scores)
			}
		}
	}
}
