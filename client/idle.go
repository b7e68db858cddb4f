package client

import (
	"sync"

	"github.com/sturdyws/sturdy/queue"
)

// writerState is what the writer keeps between batches. The writer holds
// mu all the time but while it waits in the queue's Next, so releaseIdle,
// which only ever tries the lock, finds it free exactly when the writer
// is parked.
type writerState struct {
	mu    sync.Mutex
	batch []queue.Entry // the last batch's array, reused
}

// idleReleaser is a queue that can let go of the memory it keeps for
// reuse once it has been empty and quiet for a while; queue.Memory and
// queue.File are. Its ReleaseIdle must never wait: it runs inside the
// heartbeat's send, after the ping's clock started, so time spent in it
// counts against the heartbeat's timeout (a ping held past it declares
// the peer dead).
type idleReleaser interface{ ReleaseIdle() bool }

// releaseIdle runs before each heartbeat and lets go of what a burst left
// behind in the parts that stayed quiet since the last one: the
// connection's write buffer and masking-key generator when it buffered no
// frame; the queue's slots and recycled blocks, the writer's batch array
// and the confirmer's list when the queue stayed empty and nothing was
// pushed. A session that sent once and went quiet is then as small as one
// that never sent (issue 21: an idle Client's heap stays under 8 KiB after
// any number of heartbeats), and one that sends between every two
// heartbeats keeps it all: the busy path allocates nothing. With
// application-level heartbeats the connection writes every period and
// keeps its buffer; the rest is still let go. Each part checks and
// releases under its own lock, without waiting.
func (e *connEnd) releaseIdle() {
	quiet := e.conn.ReleaseIdle()
	if q, ok := e.c.q.(idleReleaser); ok {
		quiet = q.ReleaseIdle() // a queue that can tell says whether the writer has work
	}
	if !quiet || !e.ws.mu.TryLock() {
		return
	}
	defer e.ws.mu.Unlock()
	e.ws.batch = nil
	if e.cf != nil {
		e.cf.forgetConfirmed()
	}
}
