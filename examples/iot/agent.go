package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/sturdyws/sturdy/client"
	"github.com/sturdyws/sturdy/queue"
	"github.com/sturdyws/sturdy/transport"
)

// reading is one sensor sample, as sent. Its number is the queue's
// sequence number, which the durable queue continues across restarts, so
// it names the reading for good; the number is known only as the reading
// is queued, so the payload carries a placeholder that Stamp fills in.
type reading struct {
	Sensor  string    `json:"sensor"`
	Celsius float64   `json:"celsius"`
	At      time.Time `json:"at"`
}

// sample simulates the sensor: a slow daily swing over the readings taken.
func sample(n int, at time.Time) reading {
	c := 18 + 4*math.Sin(float64(n)/10)
	return reading{Sensor: "greenhouse-1", Celsius: math.Round(c*100) / 100, At: at.UTC()}
}

// seqPlaceholder is where a payload's number goes: `{"seq":` and twenty
// spaces, as wide as any uint64. JSON allows spaces before a number, so
// the number written right-aligned there leaves the payload valid JSON of
// the same length.
const (
	seqPrefix = `{"seq":`
	seqWidth  = 20
)

// encode returns r as JSON with room for its number.
func (r reading) encode() ([]byte, error) {
	body, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	p := append([]byte(seqPrefix), bytes.Repeat([]byte(" "), seqWidth)...)
	p = append(p, ',')
	return append(p, body[1:]...), nil
}

// stampSeq is the Stamp of every reading: it writes the number the queue
// gave it into the placeholder, as the reading is queued, so the number
// in the payload is the one the server's acknowledgement will carry, even
// with several goroutines sending.
func stampSeq(seq uint64, p []byte) {
	field := p[len(seqPrefix) : len(seqPrefix)+seqWidth]
	digits := strconv.AppendUint(nil, seq, 10)
	copy(field[seqWidth-len(digits):], digits)
}

// run is the whole program; exit is os.Exit, called for -crash.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, exit func(int)) error {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	// Callbacks print from the client's goroutine too.
	var mu sync.Mutex
	say := func(format string, a ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(stdout, format+"\n", a...)
	}

	// Without -dir the queue lives in a new temporary directory, not in
	// the working directory (a clone, say): kept after a crash, which is
	// the point, and removed once every reading is delivered.
	tempDir := cfg.dir == ""
	if tempDir {
		if cfg.dir, err = os.MkdirTemp("", "sturdy-iot-"); err != nil {
			return err
		}
		say("no -dir: the queue is in %s (pass -dir %s to carry on from it)", cfg.dir, cfg.dir)
	}

	var drops dropLog
	q, err := queue.OpenFile(cfg.dir, queue.FileOptions{
		// A device keeps the newest readings when its disk budget is
		// spent: the oldest are dropped, and said so.
		Options: queue.Options{
			MaxMessages: cfg.maxQueued,
			MaxBytes:    32 << 20,
			Overflow:    queue.DropOldest,
			// The Client adds itself to this queue's drop reports, so
			// each drop is also printed by OnDeadLetter below; here
			// the agent only notes which readings the server is no
			// longer owed.
			OnDrop: func(e queue.Entry, _ queue.DropReason) { drops.add(e.Seq) },
		},
	})
	if err != nil {
		return err
	}
	rec := q.Recovery()
	for _, d := range rec.Damage {
		say("queue damage repaired: %v", d)
	}
	var expect []uint64 // every reading the server should get, in order
	for e, ok := q.TryNext(); ok; e, ok = q.TryNext() {
		expect = append(expect, e.Seq)
	}
	q.Rewind()
	say("queue %s: %d unsent readings from earlier runs", cfg.dir, rec.Entries)

	var up *uplink
	if cfg.url == "" {
		if up, err = newUplink(); err != nil {
			_ = q.Close()
			return err
		}
		defer up.close()
		if !cfg.offline {
			if err := up.start(); err != nil {
				_ = q.Close()
				return err
			}
		}
	}

	opts := client.Options{
		URL:          cfg.url,
		Queue:        q, // the Client owns it from here and closes it
		Delivery:     client.AtLeastOnce,
		AckExtractor: parseAck,
		Backoff:      backoff.NewConstantBackOff(cfg.retry),
		OnConnect: func(ctx context.Context, _ *transport.Conn) error {
			// The uplink accepted the handshake: a good connection, so
			// the next drop retries at the shortest interval. The hook
			// reaches its Client through its context.
			if c, ok := client.FromContext(ctx); ok {
				c.MarkHealthy()
			}
			return nil
		},
		OnStateChange: func(ch client.StateChange) {
			if ch.To == client.Connected || ch.Attempt <= 1 {
				say("uplink: %v (%v)", ch.To, ch.Cause)
			}
		},
		OnDeadLetter: func(d client.DeadLetter) {
			if d.Seq == 0 {
				// Every reading held was in flight, so the new one
				// went; it had no number yet.
				say("new reading not queued: %v", d.Reason)
				return
			}
			say("reading #%d not delivered: %v", d.Seq, d.Reason)
		},
	}
	if up != nil {
		opts.URL, opts.Endpoint = "", up.endpoint
	}
	c, err := client.Start(context.WithoutCancel(ctx), opts)
	if err != nil {
		_ = q.Close()
		return err
	}
	defer func() { _ = c.Close() }()

	for i := range cfg.readings {
		if i > 0 && !wait(ctx, cfg.every) {
			break
		}
		r := sample(int(rec.LastSeq)+i, time.Now())
		payload, err := r.encode()
		if err != nil {
			return err
		}
		seq, err := c.SendMessage(ctx, client.Message{Type: transport.MessageText, Payload: payload, Stamp: stampSeq})
		if errors.Is(err, queue.ErrDropped) {
			// Reported and counted by OnDrop; the reading took no number.
			continue
		}
		if err != nil {
			return err
		}
		say("queued reading #%d: %.2f °C", seq, r.Celsius)
		expect = append(expect, seq)
	}
	if cfg.crash {
		say("simulating a crash: exiting now, closing nothing")
		exit(3)
		return nil // exit returns only in tests that replace it
	}
	if up != nil && cfg.offline {
		say("uplink back")
		if err := up.start(); err != nil {
			return err
		}
	}

	flushCtx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()
	if err := c.Flush(flushCtx); err != nil {
		n, _ := q.Len()
		return fmt.Errorf("%d readings still unacknowledged: %w", n, err)
	}
	// Closing first means no drop report can still be on its way: every
	// one is counted below.
	if err := c.Close(); err != nil {
		return err
	}
	if n := drops.count(); n > 0 {
		say("every reading acknowledged, except %d dropped by the queue", n)
	} else {
		say("every reading acknowledged")
	}
	if up != nil {
		if err := check(up.received(), drops.without(expect), say); err != nil {
			return err
		}
	}
	if tempDir {
		return os.RemoveAll(cfg.dir)
	}
	return nil
}

// dropLog is what the queue's OnDrop reported. It is called from the
// client's goroutines as well as the agent's, hence the lock.
type dropLog struct {
	mu   sync.Mutex
	n    int
	seqs map[uint64]bool
}

func (d *dropLog) add(seq uint64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.n++
	if d.seqs == nil {
		d.seqs = map[uint64]bool{}
	}
	d.seqs[seq] = true
}

// count returns the number of drops reported.
func (d *dropLog) count() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.n
}

// without returns seqs less the readings dropped: the server is owed only
// the others.
func (d *dropLog) without(seqs []uint64) []uint64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	var kept []uint64
	for _, s := range seqs {
		if !d.seqs[s] {
			kept = append(kept, s)
		}
	}
	return kept
}

// check requires the server to have received every expected reading, in
// order. A reading may arrive twice where a connection ended before its
// ack came back (at-least-once), so only first arrivals are compared.
func check(got, expect []uint64, say func(string, ...any)) error {
	seen := map[uint64]bool{}
	var first []uint64
	for _, s := range got {
		if !seen[s] {
			seen[s] = true
			first = append(first, s)
		}
	}
	if len(first) != len(expect) {
		return fmt.Errorf("server received %d distinct readings %v, want %d %v", len(first), first, len(expect), expect)
	}
	for i := range expect {
		if first[i] != expect[i] {
			return fmt.Errorf("server received reading #%d where #%d was due", first[i], expect[i])
		}
	}
	if len(expect) > 0 {
		say("server received all %d readings (#%d to #%d), in order (%d messages, replays included)", len(expect), expect[0], expect[len(expect)-1], len(got))
	}
	return nil
}

// wait sleeps d between readings, or until ctx ends.
func wait(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
