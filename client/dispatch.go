package client

import "sync"

// dispatcher runs user callbacks one at a time, in order, on its own
// goroutine, never under a library lock: a slow OnStateChange cannot stall
// the reader, the writer or the heartbeat (the idea of grpc-go's
// CallbackSerializer). Its buffer is unbounded so that scheduling never
// blocks; what it holds is bounded by the events a session produces.
type dispatcher struct {
	mu      sync.Mutex
	pending []func()
	closing bool
	wake    chan struct{}
	done    chan struct{}
}

func newDispatcher() *dispatcher {
	d := &dispatcher{wake: make(chan struct{}, 1), done: make(chan struct{})}
	go d.run()
	return d
}

// schedule queues f to run after everything scheduled before it. After
// stop it does nothing.
func (d *dispatcher) schedule(f func()) {
	d.mu.Lock()
	if d.closing {
		d.mu.Unlock()
		return
	}
	d.pending = append(d.pending, f)
	d.mu.Unlock()
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

func (d *dispatcher) run() {
	defer close(d.done)
	var batch []func()
	for {
		d.mu.Lock()
		batch, d.pending = d.pending, batch[:0]
		closing := d.closing
		d.mu.Unlock()
		for i, f := range batch {
			f()
			batch[i] = nil
		}
		if len(batch) == 0 {
			if closing {
				return
			}
			<-d.wake
		}
	}
}

// stop runs what is already scheduled, then ends the goroutine and waits
// for it. It must not be called from a callback.
func (d *dispatcher) stop() {
	d.mu.Lock()
	d.closing = true
	d.mu.Unlock()
	select {
	case d.wake <- struct{}{}:
	default:
	}
	<-d.done
}
