package transport

import (
	"sync"
	"sync/atomic"
	"time"
)

// idleAnswerDelay is how often the Conn looks for an absent reader. It
// reads on its own once the read side has stayed free, with no read call
// finishing, for one to two of these, so a ping is answered within 20–40
// ms while the application is away: far inside any heartbeat's timeout
// (they wait seconds). It is not shorter because every look costs: a timer
// firing wakes the scheduler, and at one look a millisecond a busy echo
// loop measured (bench/, echo-128) about 10 µs more CPU per round trip and
// a p50 1.3× the raw framer's; at 20 ms both are level with raw.
const idleAnswerDelay = 20 * time.Millisecond

// idleWatch answers pings while the application is not reading (RFC 6455
// §5.5.2: a pong "as soon as practical") and passes pongs to OnPong.
// Every read call, when it lets go of the read side, counts itself and
// arms a one-shot timer unless it is already running; so a loop of reads
// pays a few plain loads and a store per message, and a reader parked
// inside Read pays nothing. When
// the timer fires it looks at the count: if a read call finished since its
// last look, the application is active and it only re-arms; if none did
// and the read side is free, its goroutine takes the read side and handles
// pings and pongs until a data or close frame arrives, which it leaves for
// the application's next read. It never buffers messages, so memory stays
// bounded by what the application reads.
//
// The goroutine exists only while it reads for an absent reader. Closing
// the network connection ends it, and Close and CloseNow wait for it,
// except while it is inside an OnPing or OnPong hook (a hook that calls
// them would otherwise wait for itself).
type idleWatch struct {
	timer   *time.Timer   // runs Conn.answerIdle; nil when the responder is off
	armed   atomic.Bool   // the timer is running
	reads   atomic.Uint64 // read calls finished
	seen    atomic.Uint64 // reads at the timer's last look
	inHook  atomic.Bool   // an OnPing or OnPong hook is running
	mu      sync.Mutex    // guards stopped, and orders running.Add before running.Wait
	stopped bool
	running sync.WaitGroup // the goroutine, while it runs
}

func (w *idleWatch) init(c *Conn) {
	w.timer = time.AfterFunc(time.Hour, c.answerIdle)
	w.timer.Stop()
}

// arm records that a read call finished and starts the timer unless it is
// already running or the responder is off. Read calls call it right after
// they let go of the read side.
func (w *idleWatch) arm(c *Conn) {
	if w.timer == nil {
		return
	}
	// A load and a store, not an atomic add: read calls come one at a
	// time, so nothing needs the lock, and a locked add stalls on the
	// cache line whenever the reading goroutine has moved to another core
	// since its last read, as it often has after waiting for data. A
	// count lost to calls made at once, against the rules, only lets the
	// responder look at a free read side early.
	w.reads.Store(w.reads.Load() + 1)
	if w.armed.Load() || c.ended.Load() {
		return
	}
	w.armed.Store(true)
	w.timer.Reset(idleAnswerDelay)
}

// stop keeps the timer from firing again and a late firing from starting
// to read; shutdown calls it.
func (w *idleWatch) stop() {
	if w.timer == nil {
		return
	}
	w.mu.Lock()
	w.stopped = true
	w.mu.Unlock()
	w.timer.Stop()
}

// wait returns when the goroutine, if one runs, has left, unless a hook is
// running (which may be the goroutine itself, calling Close; if instead
// the application's reader runs the hook, no goroutine of ours runs, and
// there is nothing to wait for). Call it after stop.
func (w *idleWatch) wait() {
	if w.timer != nil && !w.inHook.Load() {
		w.running.Wait()
	}
}

// enter registers the goroutine unless the Conn is shutting down.
func (w *idleWatch) enter() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopped {
		return false
	}
	w.running.Add(1)
	return true
}

// answerIdle runs when the timer fires: if no read call finished since the
// last look and no one holds the read side, it reads for the absent reader.
func (c *Conn) answerIdle() {
	w := &c.idle
	if n := w.reads.Load(); w.seen.Swap(n) != n {
		// The application read since the last look: look again later.
		if c.Err() == nil {
			w.timer.Reset(idleAnswerDelay)
		}
		return
	}
	w.armed.Store(false)
	r := &c.rd
	if !r.sem.tryAcquire() {
		// A reader is inside a read call: it answers control frames
		// itself, and arms the timer again when it leaves.
		return
	}
	defer release(r.sem)
	if c.Err() != nil || !w.enter() {
		return
	}
	defer w.running.Done()
	r.answerControl()
}

// answerControl handles the pings and pongs at the head of the stream,
// waiting for them as long as it takes, and returns at the first data or
// close frame (unread), at a frame's payload that only the application can take,
// or when the connection ends. The caller holds the read side.
func (r *reader) answerControl() {
	if r.remain != 0 {
		// The application is inside a message (a Reader it has not
		// finished): what comes next is its payload.
		return
	}
	for {
		b, err := r.br.peek(1)
		if err != nil {
			_ = r.netError(err, !r.inMsg)
			return
		}
		if op := Opcode(b[0] & 0x0f); !op.IsControl() || op == OpClose {
			// Data is the application's. So is a close frame: answering
			// it here would end the connection under a reply the
			// application is still about to write to an earlier message
			// (Autobahn 7.1.6); §5.5.1 lets the echo wait for that.
			return
		}
		h, err := r.header(!r.inMsg)
		if err != nil {
			return
		}
		if err := r.control(h); err != nil {
			return
		}
	}
}
