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
// Multiplier up to Max, and Reset starts over.
func TestBackoffJitterBounds(t *testing.T) {
	const initial, ceiling, mult = 100 * time.Millisecond, 2 * time.Second, 1.5
	for _, j := range []client.Jitter{client.EqualJitter, client.FullJitter, client.DecorrelatedJitter, client.ProportionalJitter} {
		t.Run(j.String(), func(t *testing.T) {
			b := &client.Backoff{Initial: initial, Max: ceiling, Multiplier: mult, Jitter: j, Rand: rand.New(rand.NewPCG(1, 2))}
			for round := range 2 {
				iv, prev := initial, time.Duration(0)
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
					}
					require.GreaterOrEqual(t, d, lo, "round %d wait %d", round, i)
					require.LessOrEqual(t, d, hi, "round %d wait %d", round, i)
					prev = d
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

// TestBackoffZeroValue: the zero value is the documented default: equal
// jitter over 1 s, 1.25 s, ... up to 30 s, and a seeded source repeats.
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
