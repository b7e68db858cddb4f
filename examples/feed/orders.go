package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sturdyws/sturdy/client"
	"github.com/sturdyws/sturdy/transport"
)

// ledger is the client's side of the orders: what was sent, what the
// exchange acknowledged, and what the client gave up on (dead letters).
//
// Orders are the only messages this program queues with Send (the
// subscription is written by OnConnect straight to the connection), and
// the queue numbers what it accepts 1, 2, 3…, so order id n is queue
// sequence number n: the exchange's {"ack":n} is exactly what AckThrough
// wants. send checks that this holds.
type ledger struct {
	mu   sync.Mutex
	sent [][]byte                     // sent[i] is order i+1
	dead map[uint64]client.DeadLetter // by order id

	acked atomic.Uint64 // the highest id acknowledged
}

func newLedger() *ledger { return &ledger{dead: map[uint64]client.DeadLetter{}} }

// extractAck is Options.AckExtractor: it recognises {"ack":n}, which the
// Client then applies with AckThrough and keeps from Read.
func (l *ledger) extractAck(_ transport.MessageType, p []byte) (uint64, bool) {
	id, ok := parseAck(p)
	if !ok {
		return 0, false
	}
	for {
		cur := l.acked.Load()
		if id <= cur || l.acked.CompareAndSwap(cur, id) {
			return id, true
		}
	}
}

// deadLetter is Options.OnDeadLetter.
func (l *ledger) deadLetter(d client.DeadLetter, con *console) {
	l.mu.Lock()
	l.dead[d.Seq] = d
	l.mu.Unlock()
	con.printf("order %d not delivered: %v after %v in the queue", d.Seq, d.Reason, time.Since(d.Enqueued).Round(time.Millisecond))
}

// send places an order every interval until ctx ends. Each order may wait
// in the queue at most maxAge: a stale order must never reach the market.
func (l *ledger) send(ctx context.Context, c *client.Client, every, maxAge time.Duration) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-ctx.Done():
			return nil
		}
		l.mu.Lock()
		id := uint64(len(l.sent) + 1)
		p := orderMsg(id)
		l.sent = append(l.sent, p)
		l.mu.Unlock()
		seq, err := c.SendMessage(ctx, client.Message{Type: transport.MessageText, Payload: p, MaxAge: maxAge})
		if err != nil {
			if ctx.Err() != nil {
				l.unsend(id)
				return nil
			}
			return fmt.Errorf("order %d: %w", id, err)
		}
		if seq != id {
			return fmt.Errorf("order %d was queued as message %d: acks would acknowledge the wrong order", id, seq)
		}
	}
}

// unsend forgets the last order, which Send refused.
func (l *ledger) unsend(id uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if uint64(len(l.sent)) == id {
		l.sent = l.sent[:id-1]
	}
}

// count returns how many orders were sent.
func (l *ledger) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.sent)
}

// highestAck returns the highest order id acknowledged.
func (l *ledger) highestAck() uint64 { return l.acked.Load() }

// acknowledged counts the orders the exchange acknowledged. Its acks are
// cumulative, so the highest one covers every lower id, but an order
// reported undelivered (expired in the queue, say) never reached it:
// those are not counted, whatever their id.
func (l *ledger) acknowledged() int {
	acked := l.acked.Load()
	l.mu.Lock()
	defer l.mu.Unlock()
	n := int(min(acked, uint64(len(l.sent))))
	for id := range l.dead {
		if id <= uint64(n) {
			n--
		}
	}
	return n
}

// snapshot copies what the checks need.
func (l *ledger) snapshot() (sent [][]byte, dead map[uint64]client.DeadLetter) {
	l.mu.Lock()
	defer l.mu.Unlock()
	dead = make(map[uint64]client.DeadLetter, len(l.dead))
	for k, v := range l.dead {
		dead[k] = v
	}
	return append([][]byte(nil), l.sent...), dead
}
