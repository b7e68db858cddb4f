package client

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sturdyws/sturdy/heartbeat"
	"github.com/sturdyws/sturdy/transport"
)

// Reading on the caller's goroutine.
//
// Handing every message from the reader goroutine to the program's cost a
// 64-byte feed four times the bare Conn's CPU: two goroutines touching
// the same messages, on two cores or taking turns on one. So Read takes
// a message straight off the live connection, on the program's own
// goroutine, whenever that is safe and cheap: the inbox is empty (nothing
// received earlier waits), and the next message is already whole in the
// Conn's read buffer, or in the socket (transport.Conn.TryReadInto, which
// never waits: on plain TCP it reads what the socket holds without
// waiting, so a program that keeps up refills the buffer itself instead
// of waking the reader for each buffer's worth). The reader goroutine
// still does every read that may wait for the network, every control
// frame, fragment and compressed message, and all the reading while the
// program does not read.
//
// Order: the reader holds direct.side from the read that takes a message
// until that message is in the inbox, and Read takes a message directly
// only holding side with the inbox empty; so no message taken directly
// can pass one the reader took earlier.
//
// Stepping back: a reader that keeps reading competes with Read for the
// buffer, and wins it (it holds side across its reads). So when it hands
// over to a Read that was waiting and the buffer still holds a whole
// message, it stops reading for a while: until Read finds nothing it can
// take and wakes it (inbox.room), or a period of stepBackMax passes in
// which Read took no message itself. The bound keeps a program that stops
// reading from leaving control frames unread: once it passes, the reader
// reads everything into the inbox under the inbound policy, as before.

// direct is what Read shares with the live connection's reader for
// taking messages on the caller's goroutine.
type direct struct {
	// side is held by whoever takes messages off the live connection:
	// the reader, from the read that takes them until they are in the
	// inbox; Read, while it takes one directly.
	side sync.Mutex
	// live is the connection Read may take messages from; nil between
	// connections, and when directReads says no. Cleared under side by
	// the reader as it stops, and by a Read whose AckExtractor panicked
	// (which stops the reader).
	live atomic.Pointer[liveConn]
	// taken counts the calls of readDirect that took a message off the
	// connection: the reader stays stepped back while it grows.
	taken atomic.Uint64
}

// liveConn is the live connection as Read sees it. serve makes one per
// connection.
type liveConn struct {
	conn    *transport.Conn
	ordinal uint64
}

// directReads reports whether Read may take messages off conn itself.
// Not under InboundDiscard, where the program does not read, and not
// with permessage-deflate: TryReadInto takes no compressed message, so
// Read would fail to take each one, park, and wake the reader, a round
// of goroutine switches a message where the reader's batches cost none.
func directReads(conn *transport.Conn, policy InboundPolicy) bool {
	_, compressed := conn.Compression()
	return policy != InboundDiscard && !compressed
}

// stepBackMax bounds how long the reader leaves the buffer to a Read that
// takes nothing from it (a program that stopped reading). Long
// enough to cover a program's processing of a message between two Reads
// (a feed's is microseconds), short beside anything that waits on the
// reader: a heartbeat's timeout (seconds), the Conn's idle responder
// (20 ms), an acknowledgement a Flush waits for.
const stepBackMax = time.Millisecond

// readDirect fills ms with messages taken straight off the live
// connection, oldest first, each into its slot's payload buffer (a
// buffer the caller gave up), and returns how many; 0 when the caller
// must wait for the reader instead. With pooled set, a slot without a
// buffer gets one off the pool (Read), which goes back if no message
// needs it. Slots from the count returned on hold buffers the caller
// owns.
func (c *Client) readDirect(ms []Inbound, pooled bool) int {
	in := c.inbox
	if in.direct.live.Load() == nil || in.count.Load() != 0 || !in.direct.side.TryLock() {
		return 0
	}
	// Unlocked however this ends: MessageReceived (and a heartbeat
	// Strategy's IsReply) run here uncontained, and a panic of theirs
	// leaves through Read, where the program may recover it; side left
	// locked would stop the reader, and Close with it, for good.
	defer in.direct.side.Unlock()
	// live again under side: the reader clears it as it stops, so a
	// message it read and could not hand over (Close cancelling its wait
	// for room) is never passed by one taken here. And the inbox again:
	// the reader may have handed messages over between the look above
	// and the lock.
	lc := in.direct.live.Load()
	if lc == nil || in.count.Load() != 0 {
		return 0
	}
	mon := c.mon.Load() // the live connection's, or nil without a heartbeat
	n, took := 0, false
	for n < len(ms) {
		dst, lent := ms[n].Payload, false
		if dst == nil && pooled {
			dst, lent = in.pool.get(), true
		}
		typ, p, ok := lc.conn.TryReadInto(dst)
		if !ok {
			// The buffer holds no whole message: a caller with nothing
			// waits in the inbox, which wakes the reader if it stepped
			// back.
			if lent {
				in.pool.put(dst)
			}
			break
		}
		took = true
		keep, alive := c.accept(typ, p, mon)
		if !alive {
			// AckExtractor panicked and the session fails: nothing after
			// this message reaches the program. The reader stops when it
			// finds live cleared.
			in.direct.live.Store(nil)
			if lent {
				in.pool.put(p)
			}
			break
		}
		ms[n].Payload = p // a heartbeat reply's or an ack's, reused for the next
		if keep {
			ms[n].Type, ms[n].Conn = typ, lc.ordinal
			n++
		}
	}
	if took {
		in.direct.taken.Add(1) // progress: the reader stays back (stepBack)
	}
	return n
}

// accept gives a received data message to those who look at every one
// before the program (the Observer, the heartbeat, AckExtractor) and
// reports whether the program gets it. It reports alive false when
// AckExtractor panicked, which ends the session. Its callers hold
// direct.side, so the hooks see messages one at a time, in order.
func (c *Client) accept(typ transport.MessageType, p []byte, mon *heartbeat.Monitor) (keep, alive bool) {
	c.observeReceived(typ, len(p))
	if mon != nil && mon.MessageReceived(p) { // counts as a frame received, too
		return false, true
	}
	if ext := c.opts.AckExtractor; ext != nil {
		var seq uint64
		var isAck bool
		if !c.guard("AckExtractor", func() { seq, isAck = ext(typ, p) }) {
			return false, false
		}
		if isAck {
			_ = c.ackReceived(seq)
			return false, true
		}
	}
	return true, true
}

// stepBack waits, on the reader's goroutine, until Read wakes the reader
// (it found nothing to take), stepBackMax passes without Read taking a
// message off the connection, or ctx ends. While the program keeps taking
// messages it stays back: a program that refills the Conn's buffer itself
// (TryReadInto reads the socket) may never find it dry, and a reader that
// came back each stepBackMax read batches into the inbox that needed
// spare buffers the direct path never returns to the pool. t is the
// reader's timer, made at its first step back: a connection that never
// steps back (an idle one) holds none.
func (b *inbox) stepBack(ctx context.Context, t **time.Timer) {
	if *t == nil {
		*t = time.NewTimer(stepBackMax)
	} else {
		(*t).Reset(stepBackMax)
	}
	defer (*t).Stop()
	for {
		seen := b.direct.taken.Load()
		select {
		case <-b.room:
			return
		case <-(*t).C:
			if b.stepHook != nil {
				b.stepHook()
			}
			if b.direct.taken.Load() == seen {
				return // the program stopped taking: read on
			}
			(*t).Reset(stepBackMax)
		case <-ctx.Done():
			return
		}
	}
}
