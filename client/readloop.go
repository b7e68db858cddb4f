package client

import (
	"context"
	"runtime"
	"time"

	"github.com/sturdyws/sturdy/heartbeat"
	"github.com/sturdyws/sturdy/transport"
)

// handoffMax bounds the messages the reader holds before it hands them to
// the inbox. The reader holds messages only while the next one is already
// whole in the Conn's buffer (transport.Conn.BufferedMessages), so holding
// them delays none: they are handed over before any read that could wait
// for the network. Handing over a batch under one lock, with one wake-up
// of a waiting Read, is what lets a 64-byte feed cost the Client little
// more than the bare Conn (docs/architecture.md); 64 messages are a read
// buffer's worth of small ones, and few enough that Read gets the first
// of them within microseconds.
const handoffMax = 64

// yieldMin is the size of a hand-over from which the reader yields to the
// Read it woke (readLoop). Messages this large are never whole in the
// Conn's read buffer (transport.MaxReadBufferSize), so they reach the
// program only through the reader, each in a buffer of its own; a yield
// costs a fraction of a microsecond, under 1 % of reading one.
const yieldMin = transport.MaxReadBufferSize

// payloadBytes returns the payload bytes of ms.
func payloadBytes(ms []Inbound) int {
	n := 0
	for _, m := range ms {
		n += len(m.Payload)
	}
	return n
}

// readLoop reads until the connection fails, feeding Read. It holds
// the inbox's direct.side from each read until what it read is handed
// over, and steps back from the buffer while Read takes from it on its
// own goroutine (direct.go).
func (c *Client) readLoop(ctx context.Context, conn *transport.Conn, ordinal uint64, mon *heartbeat.Monitor) error {
	// What the loop needs of c, read once: the program's Read writes
	// counters next to these fields with every message, and reading them
	// per message would pull their cache line back to this core each time.
	in, discard := c.inbox, c.opts.InboundPolicy == InboundDiscard
	stepsBack := directReads(conn, c.opts.InboundPolicy)
	side := &in.direct.side
	var buf []byte // the reader's: handed over with its message when a released one can replace it
	var lastWarn time.Time
	// held are the messages read and not yet handed over, oldest first;
	// one is kept in place, so a connection whose messages come one at a
	// time allocates no batch. ahead counts the reads known to find their
	// message whole in the Conn's buffer.
	var one [1]Inbound
	held, ahead := one[:0], 0
	// The buffers released by the program that the reader reads into,
	// taken off the pool a batch at a time; returned when it ends.
	var sp spares
	defer sp.giveBack(&in.pool)
	locked := false
	defer func() {
		// Every way out is taken holding side. Read takes nothing more
		// off this connection: what follows a batch lost here (a wait for
		// room that Close cancelled) must not reach the program past it.
		if locked {
			in.direct.live.Store(nil)
			side.Unlock()
		}
	}()
	var stepTimer *time.Timer // made at the first step back
	handOver := func() error {
		err := c.deliver(ctx, held, mon, &lastWarn)
		clear(held) // the payloads are the inbox's now
		held = held[:0]
		sp.settle(&in.pool)
		return err
	}
	for {
		if len(held) > 0 && ahead == 0 {
			// A Read waiting for the first message gets it now, and may
			// take the rest of the buffer itself: no batch.
			if len(held) < handoffMax && (!stepsBack || in.readers.Load() == 0) {
				ahead = conn.BufferedMessages(handoffMax - len(held))
			}
			if ahead == 0 {
				large := payloadBytes(held) >= yieldMin
				if err := handOver(); err != nil {
					return err
				}
				side.Unlock()
				locked = false
				switch {
				case !in.woke:
				case stepsBack && conn.TryReadable():
					// A Read was waiting for these: it may take the rest
					// of the buffer itself, if the next message is one it
					// can take (a large one waits for the reader all the
					// same).
					in.stepBack(ctx, &stepTimer)
				case large:
					// The Read just woken waits to run, queued behind
					// this goroutine: let it, so that it gives back the
					// buffer it held before this one reads on. A reader
					// that read on ran up to 20 megabytes ahead of a
					// program that kept up, whenever the program's
					// goroutine waited for a CPU, and read each message
					// it found no spare buffer for into a new one.
					runtime.Gosched()
				}
			}
		}
		if !locked {
			side.Lock()
			locked = true
			if stepsBack && in.direct.live.Load() == nil {
				// AckExtractor panicked in a Read that took a message
				// itself: the session fails, and nothing after that
				// message may reach the program (or AckExtractor).
				return context.Cause(c.ctx)
			}
		}
		typ, p, err := conn.ReadInto(context.Background(), buf)
		if err != nil {
			// What was read before the failure is delivered, as it would
			// have been one by one.
			if len(held) > 0 {
				if herr := handOver(); herr != nil {
					return herr
				}
			}
			return err
		}
		ahead = max(0, ahead-1)
		buf = p
		keep, alive := c.accept(typ, p, mon)
		if !alive {
			return context.Cause(c.ctx)
		}
		if !keep {
			continue
		}
		if discard {
			in.discarded()
			continue
		}
		m := Inbound{Type: typ, Payload: p, Conn: ordinal}
		if next, ok := in.swap(p, &sp); ok {
			buf = next // p is the message's now
		} else {
			m.Payload = append([]byte(nil), p...)
		}
		held = append(held, m)
	}
}
