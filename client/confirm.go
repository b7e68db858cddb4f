package client

import (
	"context"
	"encoding/binary"
	"sync/atomic"

	"github.com/sturdyws/sturdy/queue"
	"github.com/sturdyws/sturdy/transport"
)

// confirmTag starts the payload of a delivery-confirmation ping, followed by
// the big-endian sequence number it confirms. Nine bytes, so it can never be
// mistaken for the heartbeat's eight-byte ping numbers.
const confirmTag = 'c'

// confirmer proves AtMostOnce delivery without acknowledgements from the
// application. A ping written after a batch of messages comes back as a pong
// only once the server has read every frame before it, so that pong
// confirms the whole batch: those messages leave the queue. A message whose
// confirmation never came back when the connection ended is reported as
// ReasonUnconfirmed (it may or may not have arrived) and never resent.
//
// A confirmation ping rides in the same flush as the batch it follows, so
// confirming costs no extra system call. Under load at most one is
// outstanding (a batch written while one is out waits for the next), and
// when the queue runs dry the writer pings once more for whatever was
// written since, without waiting for the earlier pong: a peer may answer
// only the latest of several pings (RFC 6455 §5.5.3), and one that never
// answers must not keep the writer from sending what comes next. Every
// field but acked belongs to the writer goroutine.
type confirmer struct {
	acked     atomic.Uint64 // the highest number a pong confirmed (set by the reader)
	sent      atomic.Uint64 // written, for the acks of other goroutines to read
	written   uint64        // the last sequence number handed to the connection
	pinged    uint64        // the highest number an outstanding ping confirms; 0 if none
	confirmed uint64        // everything up to this has been confirmed
	// unconfirmed holds the entries written and not yet known confirmed,
	// oldest first. Their payloads stay valid: the queue neither expires
	// nor evicts an entry it has handed out, until an ack or a Rewind.
	unconfirmed []queue.Entry
	payload     [9]byte
}

// wrote records the entries of a batch handed to the connection, and
// forgets those a pong has confirmed since.
func (cf *confirmer) wrote(batch []queue.Entry) {
	i := cf.confirmedAhead()
	n := copy(cf.unconfirmed, cf.unconfirmed[i:])
	clear(cf.unconfirmed[n:])
	cf.unconfirmed = append(cf.unconfirmed[:n], batch...)
	if len(batch) > 0 {
		cf.written = batch[len(batch)-1].Seq
		cf.sent.Store(cf.written)
	}
}

func newConfirmer() *confirmer { return &confirmer{} }

// absorb takes in what pongs have confirmed since the last look.
func (cf *confirmer) absorb() {
	cf.confirmed = cf.acked.Load()
	if cf.confirmed >= cf.pinged {
		cf.pinged = 0
	}
}

// flush ends a batch: it sends the batch with a confirmation ping when none
// is outstanding, or flushes it alone.
func (cf *confirmer) flush(ctx context.Context, conn *transport.Conn) error {
	cf.absorb()
	if cf.pinged == 0 && cf.written > cf.confirmed {
		return cf.ping(ctx, conn)
	}
	return conn.Flush(ctx)
}

// settle runs before the writer waits for new messages: if messages were
// written after the outstanding ping, it sends another that covers them,
// so nothing stays unconfirmed while the queue is idle. It never waits.
func (cf *confirmer) settle(conn *transport.Conn) error {
	cf.absorb()
	if cf.written > cf.pinged && cf.written > cf.confirmed {
		return cf.ping(context.Background(), conn)
	}
	return nil
}

func (cf *confirmer) ping(ctx context.Context, conn *transport.Conn) error {
	cf.payload[0] = confirmTag
	binary.BigEndian.PutUint64(cf.payload[1:], cf.written)
	cf.pinged = cf.written
	return conn.Ping(ctx, cf.payload[:])
}

// confirmedSeq returns the number a confirmation pong confirms.
func confirmedSeq(pong []byte) (uint64, bool) {
	if len(pong) != 9 || pong[0] != confirmTag {
		return 0, false
	}
	return binary.BigEndian.Uint64(pong[1:]), true
}

// pongReceived handles a confirmation pong on the reading goroutine.
func (c *Client) pongReceived(p []byte) {
	cf := c.confirm.Load()
	seq, ok := confirmedSeq(p)
	if cf == nil || !ok {
		return
	}
	if cf.confirmThrough(seq) {
		_ = c.q.AckThrough(seq)
	}
}

// confirmThrough records that everything up to seq is confirmed, and
// reports whether that is news. Pongs may come back for older pings after
// newer ones, so the highest wins.
func (cf *confirmer) confirmThrough(seq uint64) bool {
	for {
		old := cf.acked.Load()
		if seq <= old {
			return false
		}
		if cf.acked.CompareAndSwap(old, seq) {
			return true
		}
	}
}

// reportUnconfirmed runs after a connection has ended and its goroutines
// are gone: every message written to it whose confirmation never came is
// reported and removed, so it is not resent. It walks its own record of
// what was written rather than the queue, which would drop an entry whose
// max age has passed since as "expired", though it was sent.
func (c *Client) reportUnconfirmed(cf *confirmer, cause error) {
	acked := cf.acked.Load()
	for _, e := range cf.unconfirmed {
		if e.Seq > acked {
			c.deadLetter(deadLetter(e, ReasonUnconfirmed, cause))
			_ = c.q.Ack(e.Seq)
		}
	}
	clear(cf.unconfirmed)
	cf.unconfirmed = cf.unconfirmed[:0]
}

// forgetConfirmed drops the entries a pong has confirmed, and the list
// itself when none is left. Called by the writer's side only (releaseIdle
// holds the writer's lock).
func (cf *confirmer) forgetConfirmed() {
	if cf.confirmedAhead() == len(cf.unconfirmed) {
		cf.unconfirmed = nil
	}
}

// confirmedAhead counts the oldest unconfirmed entries a pong has
// confirmed since.
func (cf *confirmer) confirmedAhead() int {
	acked := cf.acked.Load()
	i := 0
	for i < len(cf.unconfirmed) && cf.unconfirmed[i].Seq <= acked {
		i++
	}
	return i
}
