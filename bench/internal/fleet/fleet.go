package fleet

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// The two kinds of fleet member.
const (
	// KindSturdy is sturdy's client.Client with default Options.
	KindSturdy = "sturdy-client"
	// KindHand is the hand-written gorilla connection with a ping
	// goroutine and a cenkalti/backoff reconnect loop.
	KindHand = "hand-written"
)

// Kinds returns both kinds, in the order a run measures them.
func Kinds() []string { return []string{KindSturdy, KindHand} }

// Settings describe one fleet.
type Settings struct {
	Kind string `json:"kind"`
	N    int    `json:"n"`
	// URL is the server's ws:// URL; each member adds "?id=" and its
	// index, so the server can tell the members apart.
	URL string `json:"url"`
	// Heartbeat is the ping interval of both kinds; 0 means sturdy's
	// default (heartbeat.DefaultInterval), which the hand-written kind
	// then uses too.
	Heartbeat time.Duration `json:"heartbeat_ns"`
	// Profile, when set, is a path prefix: the idle window's CPU profile
	// goes to Profile+"-cpu.prof" and the heap profile at its end to
	// Profile+"-heap.prof". Profiling costs CPU: the window's CPU figure
	// is then not comparable.
	Profile string `json:"profile,omitempty"`
	// Send is how many 100 B messages each member sends once connected,
	// before the idle figures: what traffic leaves behind in a
	// connection gone quiet, which one that never sent does not show.
	Send int `json:"send,omitempty"`
}

// member is one connection of a fleet, kept up by its own goroutines
// until close.
type member interface {
	close() error
}

// dialFunc is a net dial function, as both kinds' dialers take it.
type dialFunc = func(ctx context.Context, network, addr string) (net.Conn, error)

// fleet is the client process's set of members, with what the
// measurement adds to them prepared before the baseline is taken: the
// URLs, and a counting dial function per member.
type fleet struct {
	set     Settings
	urls    []string
	dials   []dialFunc
	counts  []atomic.Int64 // dials per member since arm
	firsts  []atomic.Int64 // when each member first dialed since arm, unix ns; 0: not yet
	members []member
}

// prepare builds what every member needs from the benchmark, so that the
// heap measured afterwards is the library's alone.
func prepare(set Settings) *fleet {
	f := &fleet{set: set, urls: make([]string, set.N), dials: make([]dialFunc, set.N),
		counts: make([]atomic.Int64, set.N), firsts: make([]atomic.Int64, set.N), members: make([]member, 0, set.N)}
	for i := range set.N {
		f.urls[i] = set.URL + "?id=" + strconv.Itoa(i)
		n, first := &f.counts[i], &f.firsts[i]
		f.dials[i] = func(ctx context.Context, network, addr string) (net.Conn, error) {
			if n.Add(1) == 1 {
				first.Store(time.Now().UnixNano())
			}
			var d net.Dialer // what both libraries use by default
			return d.DialContext(ctx, network, addr)
		}
	}
	return f
}

// start starts every member at once (a burst) and returns when all are
// connected, or ctx ends.
func (f *fleet) start(ctx context.Context) error {
	switch f.set.Kind {
	case KindSturdy:
		return f.startSturdy(ctx)
	case KindHand:
		return f.startHand(ctx)
	}
	return fmt.Errorf("fleet: unknown kind %q", f.set.Kind)
}

// arm starts counting dials afresh.
func (f *fleet) arm() {
	for i := range f.counts {
		f.counts[i].Store(0)
		f.firsts[i].Store(0)
	}
}

// Attempts are the dials the members made since arm.
type Attempts struct {
	Total int64 `json:"total"`
	Min   int64 `json:"min"`
	Max   int64 `json:"max"`
	// Hist[k]: members that made k dials (k ≥ len(Hist)-1 in the last).
	Hist []int `json:"hist"`
	// First are the times of the members' first dials since arm, unix
	// ns: the earliest, the median and the latest. After a server's
	// crash, the time from the crash to the first dial is the time to
	// notice the drop plus the first backoff wait.
	First [3]int64 `json:"first_dial_unix_ns"`
}

// attempts sums the dials since arm.
func (f *fleet) attempts() Attempts {
	a := Attempts{Min: -1, Hist: make([]int, 11)}
	for i := range f.counts {
		n := f.counts[i].Load()
		a.Total += n
		a.Max = max(a.Max, n)
		if a.Min < 0 || n < a.Min {
			a.Min = n
		}
		a.Hist[min(n, int64(len(a.Hist)-1))]++
	}
	var firsts []int64
	for i := range f.firsts {
		if t := f.firsts[i].Load(); t != 0 {
			firsts = append(firsts, t)
		}
	}
	if len(firsts) > 0 {
		slices.Sort(firsts)
		a.First = [3]int64{firsts[0], firsts[len(firsts)/2], firsts[len(firsts)-1]}
	}
	return a
}

// close closes every member, a few at a time.
func (f *fleet) close() error {
	const workers = 16
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	next := make(chan member)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for m := range next {
				if err := m.close(); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		}()
	}
	for _, m := range f.members {
		next <- m
	}
	close(next)
	wg.Wait()
	f.members = nil
	if len(errs) > 0 {
		return fmt.Errorf("%d of %d closes failed, first: %w", len(errs), f.set.N, errs[0])
	}
	return nil
}

// errLeak reports goroutines left after every member was closed.
var errLeak = errors.New("goroutines left after every member was closed")

// waitGoroutines waits, until ctx ends, for the goroutine count to come
// back to n: every member's goroutines have ended.
func waitGoroutines(ctx context.Context, n int) error {
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for runtime.NumGoroutine() > n {
		select {
		case <-t.C:
		case <-ctx.Done():
			return fmt.Errorf("%w: %d, were %d", errLeak, runtime.NumGoroutine(), n)
		}
	}
	return nil
}
