package scenario

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/sturdyws/sturdy/bench/internal/drivers"
)

// Idle measures what an open, quiet connection costs: Conns connections,
// each held the way an application holds one (a read pending; for the
// sturdy Client, the Client as it runs, heartbeat included) and each
// pinged once by the server as soon as it is open (so the figures are the
// steady state after a heartbeat, not the moment after the handshake),
// then the live heap, goroutine stacks and goroutines per connection,
// after a GC.
// Kernel socket buffers are not counted.
type Idle struct {
	Conns int
}

// Name implements Scenario.
func (Idle) Name() string { return "idle" }

// Describe implements Scenario.
func (i Idle) Describe() string {
	return fmt.Sprintf("idle connections (%d at scale 1), each with a read pending", i.Conns)
}

// Metrics implements Scenario.
func (Idle) Metrics() []Metric {
	return []Metric{
		{Key: "heap_per_conn", Ratio: true, Header: "heap B/conn", Better: Lower, Format: FormatBytes},
		{Key: "stack_per_conn", Header: "stack B/conn", Better: Lower, Format: FormatBytes},
		{Key: "goroutines_per_conn", Header: "goroutines/conn", Better: Lower, Format: FormatCount},
	}
}

// Applies implements Scenario.
func (Idle) Applies(drivers.Driver) bool { return true }

// Run implements Scenario.
func (i Idle) Run(ctx context.Context, env Env, d drivers.Driver) (Result, error) {
	n := env.scaled(i.Conns, 10)
	conns := make([]drivers.Conn, 0, n)
	var before, after runtime.MemStats
	settle()
	runtime.ReadMemStats(&before)
	g0 := runtime.NumGoroutine()
	var err error
	for range n {
		var c drivers.Conn
		if c, err = dial(ctx, d, env.url("/idle")); err != nil {
			break
		}
		c.Hold()
		conns = append(conns, c)
	}
	settle()
	runtime.ReadMemStats(&after)
	g1 := runtime.NumGoroutine()
	err = errors.Join(err, closeAll(conns))
	if err == nil {
		err = waitGoroutines(g0, 10*time.Second)
	}
	if err != nil {
		return nil, err
	}
	f := float64(n)
	return Result{
		"heap_per_conn":       (float64(after.HeapAlloc) - float64(before.HeapAlloc)) / f,
		"stack_per_conn":      (float64(after.StackInuse) - float64(before.StackInuse)) / f,
		"goroutines_per_conn": float64(g1-g0) / f,
	}, nil
}

// settle lets the goroutines just started reach their blocking reads and
// collects garbage twice, so HeapAlloc is the live heap.
func settle() {
	for range 3 {
		runtime.Gosched()
		runtime.GC()
	}
}

// closeAll closes the connections, a few at a time.
func closeAll(conns []drivers.Conn) error {
	const workers = 8
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	next := make(chan drivers.Conn)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range next {
				if err := c.Close(); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		}()
	}
	for _, c := range conns {
		next <- c
	}
	close(next)
	wg.Wait()
	if len(errs) > 0 {
		return fmt.Errorf("%d of %d closes failed, first: %w", len(errs), len(conns), errs[0])
	}
	return nil
}

// errLeak reports goroutines left behind by closed connections.
var errLeak = errors.New("goroutines left after every connection was closed")

// waitGoroutines waits for the goroutine count to come back to n.
func waitGoroutines(n int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for runtime.NumGoroutine() > n {
		if time.Now().After(deadline) {
			return fmt.Errorf("%w: %d, were %d", errLeak, runtime.NumGoroutine(), n)
		}
		time.Sleep(time.Millisecond)
	}
	return nil
}
