package client_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sturdyws/sturdy/client"
)

// TestBackoffJitterBounds: every wait of every jitter lies within its
// documented band around the exponential interval, the interval grows by
// Multiplier up to Max, and Reset starts over. PhaseJitter's first wait is
// at most the curve's time for 1 (below Initial × Multiplier), and wait n
// the curve's time over one step from n-1+u, so the interval of a point
// between n-1 and n+1, ±5 %.
func TestBackoffJitterBounds(t *testing.T) {
	const initial, ceiling, mult = 100 * time.Millisecond, 2 * time.Second, 1.5
	for _, j := range []client.Jitter{client.EqualJitter, client.FullJitter, client.DecorrelatedJitter, client.ProportionalJitter, client.PhaseJitter} {
		t.Run(j.String(), func(t *testing.T) {
			b := &client.Backoff{Initial: initial, Max: ceiling, Multiplier: mult, Jitter: j, Rand: rand.New(rand.NewPCG(1, 2))}
			for round := range 2 {
				iv, prev, prevIv := initial, time.Duration(0), initial
				var ds []time.Duration
				for i := range 40 {
					d := b.NextBackOff()
					ds = append(ds, d)
					lo, hi := time.Duration(0), iv
					switch j {
					case client.EqualJitter:
						lo = iv / 2
					case client.DecorrelatedJitter:
						lo, hi = initial, min(ceiling, 3*max(prev, initial))
					case client.ProportionalJitter:
						lo, hi = iv/2, iv*3/2
					case client.PhaseJitter:
						next := time.Duration(min(float64(ceiling), float64(iv)*mult))
						lo, hi = prevIv*95/100, next*105/100
						if i == 0 {
							lo, hi = 0, next
						}
					}
					require.GreaterOrEqual(t, d, lo, "round %d wait %d", round, i)
					require.LessOrEqual(t, d, hi, "round %d wait %d", round, i)
					prev, prevIv = d, iv
					iv = time.Duration(min(float64(ceiling), float64(iv)*mult))
				}
				assert.Greater(t, len(uniq(ds)), 10, "the waits are random")
				b.Reset()
			}
		})
	}
}

func uniq(ds []time.Duration) map[time.Duration]bool {
	m := map[time.Duration]bool{}
	for _, d := range ds {
		m[d] = true
	}
	return m
}

// TestBackoffZeroValue: the zero value is as documented: equal jitter
// over 1 s, 1.25 s, ... up to 30 s, and a seeded source repeats.
func TestBackoffZeroValue(t *testing.T) {
	b := &client.Backoff{}
	iv := time.Second
	for i := range 30 {
		d := b.NextBackOff()
		require.GreaterOrEqual(t, d, iv/2, "wait %d", i)
		require.LessOrEqual(t, d, iv, "wait %d", i)
		iv = min(30*time.Second, time.Duration(float64(iv)*1.25))
	}
	assert.Equal(t, 30*time.Second, iv, "the interval reached Max")
	run := func() []time.Duration {
		b := &client.Backoff{Rand: rand.New(rand.NewPCG(7, 7))}
		var ds []time.Duration
		for range 10 {
			ds = append(ds, b.NextBackOff())
		}
		return ds
	}
	assert.Equal(t, run(), run())
}

// TestPhaseJitterSpreadsAFleet is why PhaseJitter is the Client's
// default: 20,000 Backoffs that start over together, as the Clients of a
// restarted server do, make their first attempts after the server is back
// (2 s later) at a near constant rate until the last, with the busiest
// tenth of that time under 1.3× the mean; with equal jitter over the same
// intervals they come back in a wave, the busiest tenth over 1.5× the mean.
func TestPhaseJitterSpreadsAFleet(t *testing.T) {
	peakOverMean := func(j client.Jitter) float64 {
		r := rand.New(rand.NewPCG(3, 4))
		const n, down = 20000, 2 * time.Second
		backs := make([]time.Duration, n)
		last := time.Duration(0)
		for i := range backs {
			b := &client.Backoff{Jitter: j, Rand: r}
			at := time.Duration(0)
			for at < down {
				at += b.NextBackOff()
			}
			backs[i], last = at, max(last, at)
		}
		var bins [10]int
		for _, at := range backs {
			bins[min(len(bins)-1, int(float64(at-down)/float64(last-down)*float64(len(bins))))]++
		}
		peak := 0
		for _, c := range bins {
			peak = max(peak, c)
		}
		return float64(peak) / (n / float64(len(bins)))
	}
	phase, equal := peakOverMean(client.PhaseJitter), peakOverMean(client.EqualJitter)
	t.Logf("busiest tenth over the mean: PhaseJitter %.2f, EqualJitter %.2f", phase, equal)
	assert.Less(t, phase, 1.3, "PhaseJitter")
	assert.Greater(t, equal, 1.5, "EqualJitter")
}
