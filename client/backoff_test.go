package client_test

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sturdyws/sturdy/client"
	"github.com/sturdyws/sturdy/transport"
	"github.com/sturdyws/sturdy/wstest"
)

// exponential returns an ExponentialBackOff starting at initial, doubling,
// with the given jitter, never giving up.
func exponential(initial time.Duration, jitter float64) *backoff.ExponentialBackOff {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = initial
	b.Multiplier = 2
	b.RandomizationFactor = jitter
	b.MaxInterval = time.Minute
	b.MaxElapsedTime = 0
	return b
}

// delays returns the Delay of every change to Reconnecting, in order.
func delays(cs []client.StateChange) []time.Duration {
	var ds []time.Duration
	for _, c := range cs {
		if c.To == client.Reconnecting {
			ds = append(ds, c.Delay)
		}
	}
	return ds
}

// TestBackoffGrowsWithJitter: refused attempts are spaced by delays that
// double within the jitter band, and the server sees the attempts at least
// that far apart.
func TestBackoffGrowsWithJitter(t *testing.T) {
	ctx := testCtx(t)
	const refusals = 6
	const initial = 10 * time.Millisecond
	srv := wstest.Start(t, wstest.Options{})
	srv.RejectNext(refusals, http.StatusServiceUnavailable, nil)
	rec := newRecorder()
	c := start(t, ctx, rec, client.Options{URL: srv.URL(), Backoff: exponential(initial, 0.5)})
	require.NoError(t, c.WaitConnected(ctx))

	ds := delays(rec.snapshot())
	require.Len(t, ds, refusals)
	jittered := false
	for i, d := range ds {
		nominal := initial << i
		assert.GreaterOrEqual(t, d, nominal/2, "delay %d", i+1)
		assert.LessOrEqual(t, d, nominal*3/2, "delay %d", i+1)
		if d != nominal {
			jittered = true
		}
	}
	assert.True(t, jittered, "delays %v carry no jitter", ds)
	assert.Greater(t, ds[refusals-1], ds[0]*4, "delays %v do not grow", ds)

	intervals := srv.Snapshot().Intervals()
	require.Len(t, intervals, refusals)
	for i, iv := range intervals {
		assert.GreaterOrEqual(t, iv, ds[i], "server saw attempt %d only %v after the one before", i+2, iv)
	}
}

// TestBackoffResetsAfterStablePeriod: connections dropped at once keep
// growing the delay; a connection that lived longer than StablePeriod
// resets it.
func TestBackoffResetsAfterStablePeriod(t *testing.T) {
	ctx := testCtx(t)
	const initial = 20 * time.Millisecond
	const stable = 300 * time.Millisecond
	srv := wstest.Start(t, wstest.Options{Script: []wstest.Rule{
		{Conn: 1, Do: wstest.Drop()},
		{Conn: 2, Do: wstest.Drop()},
		{Conn: 3, Do: wstest.Drop()},
		{Conn: 4, After: 4 * stable, Do: wstest.Drop()},
		{Conn: 5, Do: wstest.Drop()},
	}})
	rec := newRecorder()
	start(t, ctx, rec, client.Options{URL: srv.URL(), Backoff: exponential(initial, 0), StablePeriod: stable})
	rec.waitNth(t, ctx, client.Connected, 6)
	ds := delays(rec.snapshot())
	require.GreaterOrEqual(t, len(ds), 5)
	// Flapping connections 1–3 double the delay; 4 stayed up past the
	// stable period, so the delay after it starts again; 5 flaps again.
	assert.Equal(t, []time.Duration{initial, 2 * initial, 4 * initial, initial, 2 * initial}, ds[:5])
}

// TestMarkHealthyResetsBackoff: the application may declare the session
// healthy before the stable period has passed.
func TestMarkHealthyResetsBackoff(t *testing.T) {
	ctx := testCtx(t)
	const initial = 20 * time.Millisecond
	srv := wstest.Start(t, wstest.Options{Script: []wstest.Rule{
		{Conn: 1, Do: wstest.Drop()},
		{Conn: 2, Do: wstest.Drop()},
	}})
	rec := newRecorder()
	c := start(t, ctx, rec, client.Options{URL: srv.URL(), Backoff: exponential(initial, 0), StablePeriod: time.Hour})
	rec.waitNth(t, ctx, client.Connected, 3)
	c.MarkHealthy()
	require.NoError(t, srv.Drop(3))
	rec.waitNth(t, ctx, client.Connected, 4)
	assert.Equal(t, []time.Duration{initial, 2 * initial, initial}, delays(rec.snapshot()))
}

// TestRetryAfterHonoured: a 503 or 429 with Retry-After delays the next
// attempt by at least that long, far beyond the backoff's own delay.
func TestRetryAfterHonoured(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		value  func() string
		min    time.Duration
	}{
		{"503 seconds", http.StatusServiceUnavailable, func() string { return "1" }, time.Second},
		{"429 seconds", http.StatusTooManyRequests, func() string { return "1" }, time.Second},
		{"503 HTTP date", http.StatusServiceUnavailable, func() string {
			return time.Now().Add(2 * time.Second).UTC().Format(http.TimeFormat)
		}, time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testCtx(t)
			srv := wstest.Start(t, wstest.Options{})
			srv.RejectNext(1, tc.status, http.Header{"Retry-After": {tc.value()}})
			rec := newRecorder()
			c := start(t, ctx, rec, client.Options{URL: srv.URL(), Backoff: fastBackoff()})
			require.NoError(t, c.WaitConnected(ctx))
			ds := delays(rec.snapshot())
			require.Len(t, ds, 1)
			assert.GreaterOrEqual(t, ds[0], tc.min)
			iv := srv.Snapshot().Intervals()
			require.Len(t, iv, 1)
			assert.GreaterOrEqual(t, iv[0], tc.min, "server saw the retry too early")
		})
	}
}

// TestTryAgainLaterWaitsNextInterval: after a 1013 close the delay is at
// least the backoff's next interval, not its current one: as the Client
// reports it, and as the server sees the next attempt arrive.
func TestTryAgainLaterWaitsNextInterval(t *testing.T) {
	ctx := testCtx(t)
	const initial = 20 * time.Millisecond
	srv := wstest.Start(t, wstest.Options{Script: []wstest.Rule{{Conn: 1, Do: wstest.CloseWith(1013, "busy")}}})
	rec := newRecorder()
	c := start(t, ctx, rec, client.Options{URL: srv.URL(), Backoff: exponential(initial, 0)})
	rec.waitNth(t, ctx, client.Connected, 2)
	require.NoError(t, c.Close())
	assert.Equal(t, []time.Duration{2 * initial}, delays(rec.snapshot()))
	iv := srv.Snapshot().Intervals()
	require.Len(t, iv, 1)
	assert.GreaterOrEqual(t, iv[0], 2*initial, "server saw the retry too early")
}

// TestMarkHealthyFromOnConnect: the documented use, declaring the session
// healthy once the subscription is accepted, is not undone afterwards.
func TestMarkHealthyFromOnConnect(t *testing.T) {
	ctx := testCtx(t)
	const initial = 20 * time.Millisecond
	srv := wstest.Start(t, wstest.Options{Script: []wstest.Rule{
		{Conn: 1, Do: wstest.Drop()},
		{Conn: 2, Do: wstest.Drop()},
		{Conn: 3, Do: wstest.Drop()},
	}})
	var self atomic.Pointer[client.Client]
	ready := make(chan struct{})
	conns := 0
	rec := newRecorder()
	c := start(t, ctx, rec, client.Options{
		URL: srv.URL(), Backoff: exponential(initial, 0), StablePeriod: time.Hour,
		OnConnect: func(context.Context, *transport.Conn) error {
			<-ready
			if conns++; conns == 3 {
				self.Load().MarkHealthy() // subscription accepted on the third connection
			}
			return nil
		},
	})
	self.Store(c)
	close(ready)
	rec.waitNth(t, ctx, client.Connected, 4)
	assert.Equal(t, []time.Duration{initial, 2 * initial, initial}, delays(rec.snapshot()))
}
