package client

import "sync"

// dispatcher runs user callbacks one at a time, in order, never under a
// library lock: a slow OnStateChange cannot stall the reader, the writer or
// the heartbeat (the idea of grpc-go's CallbackSerializer). Its goroutine
// exists only while callbacks are pending, so an idle Client does not keep
// one parked. Its buffer is unbounded so that scheduling never blocks:
// what schedules is the writer, the supervisor, or the application's own
// Send reporting an overflow, and a Send made from inside a callback would
// otherwise wait for itself. State changes are few, but dead letters come
// as fast as a full queue drops, so a slow OnDeadLetter makes the buffer
// grow (Options.OnDeadLetter says so).
type dispatcher struct {
	mu      sync.Mutex
	pending []func()
	running bool // a goroutine is draining pending
	closing bool
	wg      sync.WaitGroup
}

func newDispatcher() *dispatcher { return &dispatcher{} }

// schedule queues f to run after everything scheduled before it. After
// stop it does nothing.
func (d *dispatcher) schedule(f func()) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closing {
		return
	}
	d.pending = append(d.pending, f)
	if !d.running {
		d.running = true
		d.wg.Add(1)
		go d.run()
	}
}

// run drains pending and exits once it is empty; schedule starts another
// when more arrives, so callbacks never run two at a time.
func (d *dispatcher) run() {
	defer d.wg.Done()
	var batch []func()
	for {
		d.mu.Lock()
		if len(d.pending) == 0 {
			d.running = false
			d.mu.Unlock()
			return
		}
		batch, d.pending = d.pending, batch[:0]
		d.mu.Unlock()
		for i, f := range batch {
			f()
			batch[i] = nil
		}
	}
}

// stop refuses new callbacks, waits for those already scheduled to run,
// and returns once no dispatcher goroutine is left. It must not be called
// from a callback.
func (d *dispatcher) stop() {
	d.mu.Lock()
	d.closing = true
	d.mu.Unlock()
	d.wg.Wait()
}
