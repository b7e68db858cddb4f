package interop

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// heapSampler records the peak heap while the soak runs.
type heapSampler struct {
	stopCh chan struct{}
	done   chan struct{}
	peak   atomic.Uint64
	once   sync.Once
}

func startHeapSampler() *heapSampler {
	// Start from a collected heap, so earlier tests' garbage (the peers'
	// 16 MiB messages) does not count as the soak's.
	runtime.GC()
	h := &heapSampler{stopCh: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(h.done)
		tk := time.NewTicker(100 * time.Millisecond)
		defer tk.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > h.peak.Load() {
				h.peak.Store(ms.HeapAlloc)
			}
			select {
			case <-tk.C:
			case <-h.stopCh:
				return
			}
		}
	}()
	return h
}

// stop ends the sampler and returns the peak. Idempotent.
func (h *heapSampler) stop() uint64 {
	h.once.Do(func() { close(h.stopCh) })
	<-h.done
	return h.peak.Load()
}
