package interop

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/stretchr/testify/assert"
	"github.com/sturdyws/sturdy/client"
	"github.com/sturdyws/sturdy/heartbeat"
	"github.com/sturdyws/sturdy/queue"
	"github.com/sturdyws/sturdy/transport"
)

// The soak's size comes from the environment so that CI runs a short one
// and the full soak is the same test with bigger numbers (README.md).
const (
	soakMessagesEnv = "STURDY_SOAK_MESSAGES" // default 10000
	soakFaultsEnv   = "STURDY_SOAK_FAULTS"   // default 30
	soakSeedEnv     = "STURDY_SOAK_SEED"     // default: from the clock, printed
)

// Heartbeat and backoff of the soak's client: quick enough that a black
// hole is found in under a second and the reconnects keep up with faults.
const (
	soakPingInterval   = 250 * time.Millisecond
	soakPingTimeout    = 750 * time.Millisecond
	soakBackoffInitial = 10 * time.Millisecond
	soakBackoffMax     = 250 * time.Millisecond
	soakJitter         = 0.5
	// soakMaxAge is the at-most-once run's message age limit: well under
	// a black hole plus its detection (over 2 s), so messages queued
	// during one must expire rather than go out late.
	soakMaxAge = 500 * time.Millisecond
	// soakAgeSlack is how much older than soakMaxAge a message may be when
	// the server reads it: it was written in time, then sat behind a
	// latency, bandwidth or slicer toxic (at most about 0.6 s as the
	// schedule draws them).
	soakAgeSlack = 1500 * time.Millisecond
	// soakWriteSlack is how much older than MaxAge a message may be when
	// the client hands its first byte to the socket (measured by the
	// wire recorder, from the time stamp taken just before Send). The
	// client checks a message's age just before buffering it; between
	// that check and the socket Write lie only the buffering of the rest
	// of the batch and the flush, which wait for nothing but the CPU, plus
	// Send's own few microseconds before the queue stamps the message. 50
	// ms covers -race on a loaded 2-core machine descheduling the writer
	// for a while; a client that wrote stale messages after a black hole
	// (over 2 s) or a backoff would be late by far more.
	soakWriteSlack = 50 * time.Millisecond
)

type soakConfig struct {
	messages, faults int
	seed             uint64
}

func soakConfigFromEnv(t *testing.T) soakConfig {
	cfg := soakConfig{messages: 10000, faults: 30, seed: uint64(time.Now().UnixNano())}
	for _, v := range []struct {
		env string
		dst *int
	}{{soakMessagesEnv, &cfg.messages}, {soakFaultsEnv, &cfg.faults}} {
		if s := os.Getenv(v.env); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 {
				t.Fatalf("%s=%q: want a positive number", v.env, s)
			}
			*v.dst = n
		}
	}
	if s := os.Getenv(soakSeedEnv); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("%s=%q: want a number", soakSeedEnv, s)
		}
		cfg.seed = n
	}
	return cfg
}

// TestSoakAtLeastOnce sends numbered messages through Toxiproxy while it
// injects faults and the server restarts, and checks that every number
// arrived, in order apart from replays at reconnect boundaries.
func TestSoakAtLeastOnce(t *testing.T) { runSoak(t, client.AtLeastOnce, soakMode{}) }

// TestSoakAckHappy is the at-least-once soak against an ack-happy server:
// it acknowledges the highest number it has seen on every message,
// duplicates included, and sometimes twice, so after each reconnect the
// acks land on entries the client is still replaying. Nothing may be lost
// or corrupted.
func TestSoakAckHappy(t *testing.T) { runSoak(t, client.AtLeastOnce, soakMode{ackHappy: true}) }

// TestSoakThrottled is the at-least-once soak through a link throttled to
// soakThrottleKBps for the whole run, under the same faults: pings and
// pongs wait behind data the link drains slowly, so only a heartbeat that
// sees the socket taking bytes keeps the connections up. Nothing may be
// lost or corrupted.
func TestSoakThrottled(t *testing.T) {
	runSoak(t, client.AtLeastOnce, soakMode{throttleKBps: soakThrottleKBps})
}

// soakThrottleKBps is the throttled soak's link, upstream, in KB/s
// (Toxiproxy's unit): slow enough that the soak's 250 ms pings queue
// behind data for longer than their 750 ms timeout.
const soakThrottleKBps = 256

// soakMode varies the soak's server and link.
type soakMode struct {
	ackHappy     bool // the server acks the highest number seen, on every message
	throttleKBps int  // a bandwidth toxic for the whole run; 0 for none
}

// TestSoakAtMostOnce is the same soak without acks and with a maximum
// age: nothing arrives twice, and every message that did not arrive was
// reported to OnDeadLetter.
func TestSoakAtMostOnce(t *testing.T) { runSoak(t, client.AtMostOnce, soakMode{}) }

// soakRecord is what the client's callbacks saw.
type soakRecord struct {
	mu      sync.Mutex
	changes []client.StateChange
	dead    []client.DeadLetter
	dials   atomic.Int64
	// dialing counts dials in progress; maxDialing is its peak, which
	// must be 1: one connection attempt at a time.
	dialing, maxDialing atomic.Int64
}

func runSoak(t *testing.T, delivery client.Delivery, mode soakMode) {
	cfg := soakConfigFromEnv(t)
	label := delivery.String()
	if mode.ackHappy {
		label += " ack-happy"
	}
	if mode.throttleKBps > 0 {
		label += fmt.Sprintf(" throttled %d KB/s", mode.throttleKBps)
	}
	t.Logf("soak %v: seed %d, %d messages, %d faults (rerun: %s=%d %s=%d %s=%d)", label, cfg.seed, cfg.messages, cfg.faults,
		soakSeedEnv, cfg.seed, soakMessagesEnv, cfg.messages, soakFaultsEnv, cfg.faults)
	began := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	srv := &soakServer{ack: delivery == client.AtLeastOnce, ackHighest: mode.ackHappy}
	var curMu sync.Mutex
	cur := srv.start(t, "127.0.0.1:0")
	srvAddr := cur.addr()
	restart := func(down time.Duration) {
		curMu.Lock()
		defer curMu.Unlock()
		cur.stop()
		hold(ctx, down)
		cur = srv.start(t, srvAddr)
	}
	px := startProxy(t, srvAddr)
	if mode.throttleKBps > 0 {
		if err := px.toxic("throttle", "bandwidth", "upstream", fmt.Sprintf(`{"rate":%d}`, mode.throttleKBps), 0).start(); err != nil {
			t.Fatal(err)
		}
	}

	var rec soakRecord
	wire := newWireLog()
	heap := startHeapSampler()
	defer heap.stop()
	opts := client.Options{
		URL: "ws://" + px.addr() + "/soak",
		Dial: transport.DialOptions{
			Proxy:            noProxy,
			HandshakeTimeout: time.Second, // a black-holed handshake must not wait 30 s
			NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				rec.dials.Add(1)
				n := rec.dialing.Add(1)
				defer rec.dialing.Add(-1)
				for m := rec.maxDialing.Load(); n > m && !rec.maxDialing.CompareAndSwap(m, n); m = rec.maxDialing.Load() {
				}
				var d net.Dialer
				nc, err := d.DialContext(ctx, network, addr)
				if err != nil {
					return nil, err
				}
				return wire.wrap(nc), nil
			},
		},
		Delivery:     delivery,
		Heartbeat:    heartbeat.Options{Interval: soakPingInterval, Timeout: soakPingTimeout},
		Backoff:      soakBackoff(),
		StablePeriod: time.Second,
		QueueOptions: queue.Options{MaxMessages: cfg.messages + 1},
		OnStateChange: func(sc client.StateChange) {
			rec.mu.Lock()
			rec.changes = append(rec.changes, sc)
			rec.mu.Unlock()
		},
		OnDeadLetter: func(d client.DeadLetter) {
			rec.mu.Lock()
			rec.dead = append(rec.dead, d)
			rec.mu.Unlock()
		},
	}
	if delivery == client.AtLeastOnce {
		opts.AckExtractor = func(_ transport.MessageType, p []byte) (uint64, bool) { return parseAck(p) }
	} else {
		opts.MaxAge = soakMaxAge
	}
	c, err := client.Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	defer func() {
		if !closed {
			_ = c.Close()
		}
	}()

	// The schedule: each fault is started, the next slice of messages is
	// sent across its hold, a tenth at a time, and the fault is ended.
	rng := rand.New(rand.NewPCG(cfg.seed, cfg.seed^0x9e3779b97f4a7c15))
	faults := px.schedule(rng, cfg.faults, restart)
	per := cfg.messages / (len(faults) + 1)
	var next uint64 = 1
	send := func(k int) {
		for range k {
			if next > uint64(cfg.messages) {
				return
			}
			seq, err := c.Send(ctx, transport.MessageText, soakMessage(next, time.Now()))
			if err != nil {
				t.Fatalf("Send %d: %v", next, err)
			}
			if seq != next {
				t.Fatalf("Send %d got seq %d", next, seq)
			}
			next++
		}
	}
	for i, f := range faults {
		if err := f.start(); err != nil {
			t.Fatalf("fault %d (%s): start: %v", i, f.name, err)
		}
		for j := range 10 {
			send(per / 10)
			if j == 9 {
				send(per % 10)
			}
			hold(ctx, f.hold/10)
		}
		if err := f.end(); err != nil {
			t.Fatalf("fault %d (%s): end: %v", i, f.name, err)
		}
		t.Logf("fault %2d at %5.1fs: %s", i+1, time.Since(began).Seconds(), f.name)
	}
	send(cfg.messages)

	flushCtx, flushCancel := context.WithTimeout(ctx, 2*time.Minute)
	ferr := c.Flush(flushCtx)
	flushCancel()
	if ferr != nil {
		t.Fatalf("Flush: %v (stats %+v, state %v)", ferr, c.Stats(), c.State())
	}
	stats := c.Stats()
	if delivery == client.AtLeastOnce && stats.QueueDepth != 0 {
		t.Errorf("queue depth %d after Flush, want 0", stats.QueueDepth)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	closed = true
	if s := c.State(); s != client.Closed {
		t.Fatalf("state after Close is %v, want Closed", s)
	}
	if _, err := c.Read(ctx); !errors.Is(err, client.ErrClosed) {
		t.Fatalf("Read after Close: %v, want ErrClosed", err)
	}
	peak := heap.stop()

	log, conns, maxAge := srv.snapshot()
	assert.NoError(t, srv.badMessages())
	writes, wireErrs := wire.snapshot()
	assert.Empty(t, wireErrs, "the wire recorder could not follow the client's frames")
	oldestWritten, err := checkWire(log, writes, delivery == client.AtMostOnce, opts.MaxAge, soakWriteSlack)
	assert.NoError(t, err)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	assert.NoError(t, checkTransitions(rec.changes, rec.dials.Load(), opts.StablePeriod))
	if m := rec.maxDialing.Load(); m != 1 {
		t.Errorf("%d dials were in progress at once, want 1", m)
	}
	reconnects, heartbeatDeaths, blackHoles := 0, 0, 0
	for _, sc := range rec.changes {
		if sc.To == client.Connected && sc.Conn > 1 {
			reconnects++
		}
		if sc.To == client.Reconnecting && errors.Is(sc.Cause, heartbeat.ErrDead) {
			heartbeatDeaths++
			t.Logf("heartbeat death at %5.1fs: %v", sc.At.Sub(began).Seconds(), sc.Cause)
		}
	}
	for _, f := range faults {
		if strings.HasPrefix(f.name, "timeout ") {
			blackHoles++
		}
	}
	if heartbeatDeaths > blackHoles {
		// Only a black hole may look dead: a link that is merely slow
		// keeps taking bytes, and its pings wait behind them.
		t.Errorf("%d connections declared dead by the heartbeat, but only %d black holes: a slow link was taken for a dead one", heartbeatDeaths, blackHoles)
	}
	var summary string
	if delivery == client.AtLeastOnce {
		dups, err := checkAtLeastOnce(log, uint64(cfg.messages), mode.ackHappy)
		if err != nil {
			t.Error(err)
		}
		if len(rec.dead) != 0 {
			t.Errorf("%d dead letters in at-least-once mode (first: seq %d, %v)", len(rec.dead), rec.dead[0].Seq, rec.dead[0].Reason)
		}
		summary = fmt.Sprintf("%d delivered, %d duplicates at reconnect boundaries", cfg.messages, dups)
	} else {
		res, err := checkAtMostOnce(log, rec.dead, uint64(cfg.messages))
		if err != nil {
			t.Error(err)
			t.Logf("dead letters: %s", describeDeadLetters(rec.dead))
		}
		if k := len(res.expiredArrived); k > 0 {
			t.Errorf("%s: %d messages reported expired arrived, first %d (%s)",
				bugExpiredAfterWrite, k, res.expiredArrived[0], describeArrival(log, res.expiredArrived[0]))
		}
		if k := len(res.neverSentArrived); k > 0 {
			d := res.neverSentArrived[0]
			t.Errorf("%d messages dead-lettered as never sent arrived, first %d (%v; %s)", k, d.Seq, d.Reason, describeArrival(log, d.Seq))
		}
		if maxAge > soakMaxAge+soakAgeSlack {
			t.Errorf("the server read a message %v old; MaxAge is %v (+%v slack for toxics)", maxAge, soakMaxAge, soakAgeSlack)
		}
		summary = fmt.Sprintf("%d delivered once, 0 duplicates, dead letters %v, oldest message written %v, read %v",
			res.delivered, res.byReason, oldestWritten.Round(time.Millisecond), maxAge.Round(time.Millisecond))
	}
	if peak > 512<<20 {
		t.Errorf("peak heap %d MiB, want under 512 MiB", peak>>20)
	}
	t.Logf("soak %v: seed %d, %d faults, %s; %d server connections, %d reconnects (%d by the heartbeat, %d black holes), %d dial attempts, sent counter %d, peak heap %.1f MiB (whole test process), %v",
		label, cfg.seed, len(faults), summary, conns, reconnects, heartbeatDeaths, blackHoles, rec.dials.Load(), stats.Sent, float64(peak)/(1<<20), time.Since(began).Round(time.Millisecond))
}

// describeDeadLetters lists dead letters as seq:reason runs, for a
// failure message.
func describeDeadLetters(dead []client.DeadLetter) string {
	var b strings.Builder
	for i := 0; i < len(dead); {
		j := i
		for j+1 < len(dead) && dead[j+1].Seq == dead[j].Seq+1 && dead[j+1].Reason == dead[i].Reason {
			j++
		}
		fmt.Fprintf(&b, "%d-%d:%v ", dead[i].Seq, dead[j].Seq, dead[i].Reason)
		i = j + 1
	}
	return b.String()
}

// hold waits d, or until ctx ends: a fault's duration, not a wait for an
// event.
func hold(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

func soakBackoff() backoff.BackOff {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = soakBackoffInitial
	b.MaxInterval = soakBackoffMax
	b.RandomizationFactor = soakJitter
	b.Multiplier = 2
	b.MaxElapsedTime = 0
	b.Reset()
	return b
}
