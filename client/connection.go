package client

import (
	"context"
	"errors"
	"net"
	"sync"
	"time"

	"github.com/sturdyws/sturdy/heartbeat"
	"github.com/sturdyws/sturdy/queue"
	"github.com/sturdyws/sturdy/transport"
)

// serve runs one connection until it ends and returns why. The calling
// (supervisor) goroutine is the queue's writer; a reader goroutine feeds
// Read, and the heartbeat monitor watches liveness. Every goroutine started
// here has stopped when serve returns.
func (c *Client) serve(conn *transport.Conn, ordinal uint64) error {
	ctx, cancel := context.WithCancelCause(c.ctx)
	defer cancel(nil)
	// The reader's own waits (for room in the inbox, under InboundWait)
	// last until the socket is dropped, not merely until the connection
	// is known to be ending: see draining.
	readCtx, stopReader := context.WithCancel(c.ctx)
	defer stopReader()
	e := newConnEnd(c, conn, cancel, stopReader)
	stopClosing := context.AfterFunc(c.ctx, e.closing)
	defer func() {
		stopClosing()
		e.finish()
	}()

	var cf *confirmer
	if c.opts.Delivery == AtMostOnce {
		cf = newConfirmer()
		c.confirm.Store(cf)
		defer c.confirm.Store(nil)
	}
	e.cf = cf
	var wg sync.WaitGroup
	mon, err := c.startHeartbeat(e, func(err error) {
		// A dead peer is dropped locally as an abnormal closure.
		e.end(&transport.CloseError{Code: transport.StatusAbnormalClosure, Reason: "heartbeat timeout", Err: err})
	})
	if err != nil {
		_ = conn.CloseNow()
		return err
	}
	if directReads(conn, c.opts.InboundPolicy) {
		c.inbox.direct.live.Store(&liveConn{conn: conn, ordinal: ordinal})
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		e.end(c.readLoop(readCtx, conn, ordinal, mon))
		e.readerDone()
	}()

	// A connection that stays up for the stable period resets the backoff
	// when it ends. Measured here rather than by a timer, which could fire
	// after serve returns and mark the next connection healthy.
	start := time.Now()
	defer func() {
		if time.Since(start) >= c.opts.StablePeriod {
			c.healthy.Store(true)
		}
	}()

	c.q.Rewind()
	if err := c.writeLoop(ctx, conn, &e.ws, cf); err != nil && e.writeFailed(ctx, err) {
		if h := c.opts.drainHook; h != nil {
			h()
		}
		// Everything the reader gets from here on goes to the inbox
		// with this connection's ordinal, before the next connection's.
		// The connection ends when the reader reaches the end of the
		// stream or stops, or after the transport's close timeout.
		<-conn.Done()
	}
	cause := context.Cause(ctx)
	if c.ctx.Err() != nil {
		// A completed closing handshake proves the server read every frame
		// before its close frame.
		if conn.Close(transport.StatusNormalClosure, "") == nil && cf != nil {
			cf.acked.Store(cf.written)
			_ = c.q.AckThrough(cf.written)
			cf.confirmed = cf.written
		}
	}
	if mon != nil {
		mon.Stop()
		// Keep the last measurements for Stats between connections.
		last, smooth := mon.RTT()
		c.stats.lastRTT.Store(int64(last))
		c.stats.smoothRTT.Store(int64(smooth))
		c.mon.Store(nil)
	}
	_ = conn.CloseNow()
	stopReader()
	wg.Wait()
	c.inbox.direct.live.Store(nil)
	if cf != nil {
		c.reportUnconfirmed(cf, cause)
	}
	return cause
}

// startHeartbeat starts the liveness monitor for e's connection, unless
// disabled; dead is called from the monitor's timer when it finds the peer
// dead. Before each ping, e.releaseIdle lets go of what a quiet session
// does not need.
func (c *Client) startHeartbeat(e *connEnd, dead func(error)) (*heartbeat.Monitor, error) {
	conn := e.conn
	if c.opts.DisableHeartbeat {
		return nil, nil
	}
	opts := c.opts.Heartbeat
	var pinger heartbeat.Pinger = heartbeatConn{e}
	if opts.Progress == nil {
		// A slow link whose socket keeps taking bytes is alive, even when
		// a pong waits behind a large message on its way out; but once
		// the peer's TCP has acknowledged the ping itself (where the
		// kernel can tell), its pong is due within the timeout.
		opts.Progress = conn.WriteProgress
		if _, exact := conn.WriteAcked(); exact {
			opts.Sent = conn.BytesWritten
			if socketBytes(conn) {
				// Where each ping lies in BytesWritten's count, so that
				// the monitor can skip asking the kernel while nothing
				// but answered pings has been written
				// (heartbeat.SpanPinger).
				pinger = spanConn{heartbeatConn{e}}
			}
		}
	}
	opts.OnRTT = c.onRTT(opts.OnRTT)
	userDead := opts.OnDead
	opts.OnDead = func(err error) {
		dead(err)
		if userDead != nil {
			c.guard("Heartbeat.OnDead", func() { userDead(err) })
		}
	}
	mon, err := heartbeat.Start(pinger, opts)
	if err != nil {
		return nil, err
	}
	c.mon.Store(mon)
	return mon, nil
}

// heartbeatConn lets the monitor send application-level heartbeats straight
// to the connection: they must not wait behind queued data or be replayed.
// It shows the monitor only Ping and SendHeartbeat: PingSpan's counts are
// BytesWritten's, which a Progress and Sent of the program's own need not
// share.
// Before each heartbeat it lets go of what a quiet session does not need
// (releaseIdle). One pointer, so that the Pinger interface holds it
// without an allocation.
type heartbeatConn struct{ e *connEnd }

func (h heartbeatConn) Ping(ctx context.Context, payload []byte) error {
	h.e.releaseIdle()
	return h.e.conn.Ping(ctx, payload)
}

func (h heartbeatConn) SendHeartbeat(ctx context.Context, payload []byte, binary bool) error {
	h.e.releaseIdle()
	typ := transport.MessageText
	if binary {
		typ = transport.MessageBinary
	}
	return h.e.conn.Write(ctx, typ, payload)
}

// socketBytes reports whether conn's BytesWritten counts the socket's own
// bytes, as WriteAcked's acknowledged count does, one for one. Over TLS it
// counts plaintext against the kernel's ciphertext, so what WriteProgress
// says just after a ping is not known without asking (SpanPinger).
func socketBytes(conn *transport.Conn) bool {
	switch conn.NetConn().(type) {
	case *net.TCPConn, *net.UnixConn:
		return true
	}
	return false
}

// spanConn is heartbeatConn for a monitor whose Sent is the Conn's
// BytesWritten, counting the socket's own bytes.
type spanConn struct{ heartbeatConn }

func (s spanConn) PingSpan(ctx context.Context, payload []byte) (start, end uint64, err error) {
	s.e.releaseIdle()
	return s.e.conn.PingSpan(ctx, payload)
}

// TryPingSpan sends an idle connection's ping with no context or deadline
// (heartbeat.TryPinger). It lets go of what the session does not need
// only once the ping is sent: when it sends nothing the monitor calls
// PingSpan, which does, and a second release would find the connection's
// buffer unused since the first and drop a buffer the busy path needs.
func (s spanConn) TryPingSpan(payload []byte, start uint64, timeout time.Duration) (end uint64, sent bool, err error) {
	end, sent, err = s.e.conn.TryPingSpan(payload, start, timeout)
	if sent && err == nil {
		s.e.releaseIdle()
	}
	return end, sent, err
}

// maxBatchBytes bounds the payload bytes one batch writes before its
// flush: enough to fill a network round trip many times over, small enough
// that a flush (and the confirmation that follows it in AtMostOnce) comes
// regularly under a flood of large messages.
const maxBatchBytes = 1 << 20

// closeTimeout is how long a closing handshake may take: the Conn's own
// bound, used also for how long Close lets a busy writer finish.
func (c *Client) closeTimeout() time.Duration {
	if d := c.opts.Dial.CloseTimeout; d > 0 {
		return d
	}
	return transport.DefaultCloseTimeout
}

// writeLoop drains the queue into conn until ctx ends or a write fails.
// When several messages are waiting it writes them with one flush, so
// throughput under load is bounded by the network, not by a system call per
// message.
func (c *Client) writeLoop(ctx context.Context, conn *transport.Conn, ws *writerState, cf *confirmer) error {
	// The batch grows to what the traffic needs (at most MaxBatch) and is
	// reused; it is kept in ws while the writer waits, where releaseIdle
	// lets it go once the session is quiet.
	ws.mu.Lock()
	defer ws.mu.Unlock()
	batch := ws.batch
	marker := c.sendingMarker(cf)
	bg := context.Background() // writes are bounded by WriteTimeout and unblocked by CloseNow
	for {
		if err := c.awaitWindow(ctx); err != nil {
			return nil
		}
		e, ok := c.q.TryNext()
		if !ok {
			if cf != nil {
				if err := cf.settle(conn); err != nil {
					return err
				}
			}
			var err error
			ws.batch = batch
			ws.mu.Unlock() // releaseIdle may trim while the writer waits
			e, err = c.q.Next(ctx)
			ws.mu.Lock()
			batch = ws.batch
			if err != nil {
				if errors.Is(err, queue.ErrClosed) || ctx.Err() != nil {
					return nil
				}
				return err
			}
		}
		batch = batch[:0]
		batchBytes := 0
		var werr error
		for {
			switch {
			case e.Expired(time.Now()):
				c.deadLetter(deadLetter(e, ReasonExpired, nil))
				_ = c.q.Ack(e.Seq)
			case e.InDoubt && cf != nil:
				// An earlier process handed it to a connection and ended
				// before the confirmation: sending it again could deliver
				// it twice.
				c.deadLetter(deadLetter(e, ReasonUnconfirmed, ErrInDoubt))
				_ = c.q.Ack(e.Seq)
			default:
				batch = append(batch, e)
				if marker == nil {
					werr = c.writeEntry(conn, e)
				}
			}
			batchBytes += len(e.Payload)
			if werr != nil || len(batch) >= c.opts.MaxBatch || batchBytes >= maxBatchBytes || c.windowFull() || ctx.Err() != nil {
				// A batch ends at its bounds, and at once when the
				// session ends, so Close does not wait behind it.
				break
			}
			var ok bool
			if e, ok = c.q.TryNext(); !ok {
				break
			}
		}
		if marker != nil && len(batch) > 0 {
			// The durable mark comes before the first byte of the batch,
			// so a process killed mid-write finds every entry that may
			// have left marked in doubt. Marking the batch at once costs
			// one record per batch; the payloads stay valid meanwhile
			// because, in AtMostOnce, nothing acknowledges an entry
			// before it is written (see ackReceived).
			if werr = marker.MarkSending(batch[len(batch)-1].Seq); werr != nil {
				return werr
			}
			for i, e := range batch {
				if werr = c.writeEntry(conn, e); werr != nil {
					// What follows the failed frame was not written: it is
					// replayed on the next connection.
					batch = batch[:i+1]
					break
				}
			}
		}
		if werr != nil && errors.Is(werr, transport.ErrClosed) {
			// The connection was gone before the last frame: none of it
			// was written, so it is replayed, not unconfirmed.
			batch = batch[:len(batch)-1]
		}
		if cf != nil {
			// Bytes of every frame handed over may have left, even when the
			// write failed: the whole batch now awaits confirmation.
			cf.wrote(batch)
		}
		if werr == nil {
			if cf != nil {
				werr = cf.flush(bg, conn)
			} else {
				werr = conn.Flush(bg)
			}
		}
		if werr == nil {
			c.stats.sent.Add(uint64(len(batch)))
			c.observeSent(batch)
		}
		if werr != nil {
			return werr
		}
	}
}

// writeEntry buffers one queued message on conn.
func (c *Client) writeEntry(conn *transport.Conn, e queue.Entry) error {
	return conn.WriteBuffered(context.Background(), transport.MessageType(e.Type), e.Payload)
}

// sendingMarker is a durable queue that records, before a write, which
// entries are about to leave, so that after a crash they are reported
// in doubt instead of sent again; queue.File is one.
type sendingMarker interface{ MarkSending(through uint64) error }

// sendingMarker returns the queue as a sendingMarker when AtMostOnce
// needs the marks (cf is set) and the queue keeps them; nil otherwise.
func (c *Client) sendingMarker(cf *confirmer) sendingMarker {
	if cf == nil {
		return nil
	}
	m, _ := c.q.(sendingMarker)
	return m
}
