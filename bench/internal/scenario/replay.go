package scenario

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/sturdyws/sturdy/bench/internal/drivers"
	"github.com/sturdyws/sturdy/bench/internal/payload"
	"github.com/sturdyws/sturdy/bench/internal/wsraw"
	"github.com/sturdyws/sturdy/client"
	"github.com/sturdyws/sturdy/transport"
)

// retryInterval is how often both contestants retry while the server is
// down: short, so the measurement is about the reconnect path rather than
// the backoff policy.
const retryInterval = time.Millisecond

// Replay measures recovery: the server drops the connection and stops
// listening, Messages messages are queued while it is away, and the
// server, once it listens again, times from that moment to the first and
// the last of them arriving, in order. The sturdy Client is measured with
// a constant 1 ms backoff; the raw driver stands for the limit with a
// hand-written loop that redials every 1 ms and writes what it queued.
// Other libraries have no reconnecting client, so the scenario does not
// apply to them.
type Replay struct {
	Messages, Size, Reps int
}

// Name implements Scenario.
func (Replay) Name() string { return "replay" }

// Describe implements Scenario.
func (r Replay) Describe() string {
	return fmt.Sprintf("server comes back: time to the first and the last of %d queued messages (1 ms retry)", r.Messages)
}

// Metrics implements Scenario.
func (Replay) Metrics() []Metric {
	return []Metric{
		{Key: "first_us", Ratio: true, Header: "to first", Better: Lower, Format: FormatMicros},
		{Key: "all_us", Header: "to last", Better: Lower, Format: FormatMicros},
	}
}

// Applies implements Scenario.
func (Replay) Applies(d drivers.Driver) bool {
	switch d.(type) {
	case drivers.Client, drivers.Raw:
		return true
	}
	return false
}

// Run implements Scenario: Reps recoveries, reporting their medians.
func (r Replay) Run(ctx context.Context, env Env, d drivers.Driver) (Result, error) {
	reps := env.scaled(r.Reps, 1)
	var firsts, alls []float64
	for range reps {
		var first, all time.Duration
		var err error
		if _, ok := d.(drivers.Client); ok {
			first, all, err = r.client(ctx, env)
		} else {
			first, all, err = r.raw(ctx, env)
		}
		if err != nil {
			return nil, err
		}
		firsts = append(firsts, micros(first))
		alls = append(alls, micros(all))
	}
	return Result{"first_us": median(firsts), "all_us": median(alls)}, nil
}

// open asks the server for a flaky listener and returns its URL.
func (r Replay) open(ctx context.Context, env Env) (string, error) {
	ans, err := env.Control(ctx, "flaky open")
	if err != nil {
		return "", err
	}
	addr, ok := strings.CutPrefix(ans, "port ")
	if !ok {
		return "", fmt.Errorf("flaky open: %q", ans)
	}
	return "ws://" + addr + "/flaky", nil
}

// down drops the server side.
func (r Replay) down(ctx context.Context, env Env) error {
	ans, err := env.Control(ctx, "flaky down")
	if err == nil && ans != "ok" {
		err = fmt.Errorf("flaky down: %q", ans)
	}
	return err
}

// up brings the server back and waits for its measurement.
func (r Replay) up(ctx context.Context, env Env) (first, all time.Duration, err error) {
	ans, err := env.Control(ctx, fmt.Sprintf("flaky up %d %d", r.Messages, r.Size))
	if err != nil {
		return 0, 0, err
	}
	f := strings.Fields(ans)
	if len(f) != 3 || f[0] != "replay" {
		return 0, 0, fmt.Errorf("flaky up: %q", ans)
	}
	a, err1 := strconv.ParseInt(f[1], 10, 64)
	b, err2 := strconv.ParseInt(f[2], 10, 64)
	return time.Duration(a), time.Duration(b), errors.Join(err1, err2)
}

// client measures one recovery of a sturdy Client.
func (r Replay) client(ctx context.Context, env Env) (first, all time.Duration, err error) {
	url, err := r.open(ctx, env)
	if err != nil {
		return 0, 0, err
	}
	reconnecting := make(chan struct{}, 1)
	c, err := client.Start(ctx, client.Options{
		URL:     url,
		Backoff: &backoff.ConstantBackOff{Interval: retryInterval},
		OnStateChange: func(sc client.StateChange) {
			if sc.To == client.Reconnecting {
				select {
				case reconnecting <- struct{}{}:
				default:
				}
			}
		},
	})
	if err != nil {
		return 0, 0, err
	}
	defer func() { err = errors.Join(err, c.Close()) }()
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := c.WaitConnected(wctx); err != nil {
		return 0, 0, err
	}
	if err := r.down(ctx, env); err != nil {
		return 0, 0, err
	}
	select {
	case <-reconnecting:
	case <-wctx.Done():
		return 0, 0, fmt.Errorf("client never noticed the server was gone: %w", wctx.Err())
	}
	p := payload.New(r.Size)
	for i := range r.Messages {
		payload.Stamp(p, uint64(i))
		if _, err := c.Send(ctx, transport.MessageBinary, p); err != nil {
			return 0, 0, err
		}
	}
	first, all, err = r.up(ctx, env)
	if err != nil {
		return 0, 0, err
	}
	return first, all, c.Flush(wctx)
}

// raw measures the hand-written baseline: a wsraw connection, and on its
// loss a loop that redials every millisecond and writes the queue.
func (r Replay) raw(ctx context.Context, env Env) (first, all time.Duration, err error) {
	url, err := r.open(ctx, env)
	if err != nil {
		return 0, 0, err
	}
	c, err := drivers.RawDial(ctx, url, nil)
	if err != nil {
		return 0, 0, err
	}
	if err := r.down(ctx, env); err != nil {
		_ = c.NC.Close()
		return 0, 0, err
	}
	_, _, rerr := c.ReadMessage() // returns when the server drops us
	_ = c.NC.Close()
	if rerr == nil {
		return 0, 0, errors.New("raw: got a message from a server that was going down")
	}
	queued := make([][]byte, r.Messages)
	for i := range queued {
		queued[i] = payload.New(r.Size)
		payload.Stamp(queued[i], uint64(i))
	}
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- rawRedial(rctx, url, queued) }()
	first, all, err = r.up(ctx, env)
	return first, all, errors.Join(err, <-done)
}

// rawRedial redials url every retryInterval until it connects, writes
// queued in one flush and closes.
func rawRedial(ctx context.Context, url string, queued [][]byte) error {
	for {
		c, err := drivers.RawDial(ctx, url, nil)
		if err != nil {
			if ctx.Err() != nil {
				return err
			}
			time.Sleep(retryInterval)
			continue
		}
		for _, p := range queued {
			err = errors.Join(err, c.WriteMessage(wsraw.OpBinary, p))
		}
		err = errors.Join(err, c.Flush())
		_, _ = c.NC.Write([]byte{0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8})
		return errors.Join(err, c.NC.Close())
	}
}

// median returns the middle value (the mean of the two middle ones for
// an even count).
func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
