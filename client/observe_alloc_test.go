package client

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/sturdyws/sturdy/queue"
	"github.com/sturdyws/sturdy/transport"
)

// TestObserverCallsAllocateNothing: the calls made for every message (and
// the rarer ones) allocate nothing, with no Observer and with one set, so
// a Client's steady state stays allocation-free either way.
func TestObserverCallsAllocateNothing(t *testing.T) {
	for _, obs := range []Observer{nil, NopObserver{}} {
		c := &Client{opts: Options{Observer: obs}}
		if obs != nil {
			c.ob = new(observed) // as Start makes it
		}
		batch := []queue.Entry{{Seq: 1, Payload: make([]byte, 64)}, {Seq: 2, Payload: make([]byte, 10)}}
		d := DeadLetter{Reason: ReasonExpired, Payload: []byte("x")}
		ch := StateChange{From: Connecting, To: Connected, Conn: 1, At: time.Now()}
		rtt := c.onRTT(nil)
		allocs := testing.AllocsPerRun(1000, func() {
			c.observeReceived(transport.MessageBinary, 64)
			c.observeSent(batch)
			c.observeDeadLetter(&d)
			c.observeState(ch)
			if rtt != nil {
				rtt(time.Millisecond)
			}
		})
		assert.Zero(t, allocs, "observer %T", obs)
	}
}

// BenchmarkObserverPerMessage is what the hook adds to one message each
// way: the reader's call for a received message and the writer's for a
// flushed batch of one, unset against set to NopObserver. bench/ measures
// the same on a whole Client (-observers); this isolates the calls.
func BenchmarkObserverPerMessage(b *testing.B) {
	batch := []queue.Entry{{Seq: 1, Payload: make([]byte, 64)}}
	for _, bc := range []struct {
		name string
		obs  Observer
	}{{"unset", nil}, {"nop", NopObserver{}}} {
		b.Run(bc.name, func(b *testing.B) {
			c := &Client{opts: Options{Observer: bc.obs}}
			if bc.obs != nil {
				c.ob = new(observed) // as Start makes it
			}
			b.ReportAllocs()
			for b.Loop() {
				c.observeReceived(transport.MessageBinary, 64)
				c.observeSent(batch)
			}
		})
	}
}
