// Package scenario holds the benchmark's workloads. Each runs one driver
// through one workload against the benchmark server and returns the
// numbers of that run; the runner repeats them round after round.
package scenario

import (
	"context"
	"fmt"
	"math"
	"runtime/pprof"
	"time"

	"github.com/sturdyws/sturdy/bench/internal/drivers"
)

// Env is what a scenario needs from the runner.
type Env struct {
	// BaseURL is the server's address, "ws://127.0.0.1:PORT".
	BaseURL string
	// Scale multiplies every message and connection count.
	Scale float64
	// Verify makes the scenario check every byte it receives (and the
	// sink every byte it is sent): the self-check. Its timings are not
	// reported.
	Verify bool
	// Control sends one command to the server process and returns its
	// answer (used by the reconnect scenario).
	Control func(ctx context.Context, cmd string) (string, error)
	// Pin, when not nil, confines this process and the server to one CPU
	// and returns the function that lets them go; it fails with
	// cpupin.ErrUnsupported where pinning is not available.
	Pin func(ctx context.Context) (unpin func() error, err error)
}

// scaled returns n scaled by e.Scale, at least least.
func (e Env) scaled(n, least int) int {
	return max(least, int(math.Round(float64(n)*e.Scale)))
}

// url returns the address of path on the server.
func (e Env) url(pathAndQuery string) string { return e.BaseURL + pathAndQuery }

// Better says which way a metric improves.
type Better int

const (
	// Higher values are better (throughput).
	Higher Better = iota
	// Lower values are better (latency, cost).
	Lower
)

// Metric describes one number a scenario reports.
type Metric struct {
	Key    string // JSON key
	Header string // table column header
	Better Better
	// Ratio asks for columns comparing the libraries' medians of this
	// metric with gorilla's and the raw limit's.
	Ratio bool
	// Format renders a value for the table.
	Format func(float64) string
}

// Result maps metric keys to the values of one run.
type Result map[string]float64

// Scenario is one workload.
type Scenario interface {
	// Name is the scenario's short name (push-64, echo-128, ...).
	Name() string
	// Describe says in one line what it measures.
	Describe() string
	// Metrics lists what Run reports; the first is the one ratios use.
	Metrics() []Metric
	// Applies reports whether the scenario makes sense for d.
	Applies(d drivers.Driver) bool
	// Run runs the workload once with d.
	Run(ctx context.Context, env Env, d drivers.Driver) (Result, error)
}

// Joint is a Scenario that, in a measured round, runs all the round's
// libraries in one call, so it can interleave them more finely than one
// run after another.
type Joint interface {
	Scenario
	// RunJoint runs the workload once with every driver in ds and returns
	// each one's outcome, in the order of ds.
	RunJoint(ctx context.Context, env Env, ds []drivers.Driver) []JointResult
}

// JointResult is one library's outcome of a RunJoint.
type JointResult struct {
	Result Result
	Err    error
}

// soloThenOpen is the first half of a joint round. Every library in ds
// runs alone (solo) into out, with the metrics named in keep also stored
// under their solo names (the turns overwrite the originals), and each
// one that ran is connected again (open) for the turns. It returns the
// connections, by index into ds, and the indexes of the libraries still
// running.
func soloThenOpen[C any](out []JointResult, ds []drivers.Driver, keep map[string]string,
	solo func(drivers.Driver) (Result, error), open func(drivers.Driver) (C, error)) (conns []C, live []int) {
	for i, d := range ds {
		labelled(d, "solo", func() { out[i].Result, out[i].Err = solo(d) })
		if out[i].Err == nil {
			for from, to := range keep {
				out[i].Result[to] = out[i].Result[from]
			}
		}
	}
	conns = make([]C, len(ds))
	for i, d := range ds {
		if out[i].Err != nil {
			continue
		}
		labelled(d, "turns", func() { conns[i], out[i].Err = open(d) })
		if out[i].Err == nil {
			live = append(live, i)
		}
	}
	return conns, live
}

// labelled runs f with the profiler labels lib (d's name) and phase, so
// that -cpuprofile tells the libraries apart
// (go tool pprof -tagfocus lib=NAME). The goroutines a library starts in
// f (a Client's reader and writer) carry them too.
func labelled(d drivers.Driver, phase string, f func()) {
	pprof.Do(context.Background(), pprof.Labels("lib", d.Name(), "phase", phase), func(context.Context) { f() })
}

// takeTurns is the second half of a joint round: n turns in which every
// library in live, by index into out, gets one go, the first place moving
// on by one each turn (A B C D, B C D A, ...). A library whose go fails
// keeps the error in out and sits out the turns that remain. It stops
// early once ctx is done.
func takeTurns(ctx context.Context, out []JointResult, live []int, n int, turn func(t, i int) error) {
	for t := 0; t < n && ctx.Err() == nil; t++ {
		for k := range live {
			i := live[(t+k)%len(live)]
			if out[i].Err != nil {
				continue
			}
			out[i].Err = turn(t, i)
		}
	}
}

// putRate records count messages of size bytes in d as msgs/s and MB/s.
func putRate(r Result, count, size int, d time.Duration) {
	r["msgs_per_s"] = float64(count) / d.Seconds()
	r["mb_per_s"] = float64(count) * float64(size) / 1e6 / d.Seconds()
}

// All returns every scenario in table order.
func All() []Scenario {
	return []Scenario{
		Push{Size: 64, Count: 2_000_000},
		Push{Size: 1 << 10, Count: 500_000},
		Push{Size: 1 << 20, Count: 1_000},
		Decode{Size: 64, Count: 4_000_000},
		Decode{Size: 1 << 10, Count: 1_000_000},
		Decode{Size: 1 << 20, Count: 2_000},
		Echo{Size: 128, Count: 10_000},
		Send{Size: 64, Count: 500_000},
		Idle{Conns: 2_000},
		Replay{Messages: 10, Size: 64, Reps: 3},
		PushDeflate{Size: 1 << 10, Count: 200_000},
		SendDeflate{Size: 1 << 10, Count: 200_000},
		PushDeflate{Size: 1 << 10, Count: 200_000, Context: true},
		SendDeflate{Size: 1 << 10, Count: 200_000, Context: true},
	}
}

// dial opens a connection with a deadline.
func dial(ctx context.Context, d drivers.Driver, url string) (drivers.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	c, err := d.Dial(ctx, url, nil)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", url, err)
	}
	return c, nil
}

// Formatting helpers for the tables.

// sizeLabel renders a message size for people: 64 B, 1 KiB, 1 MiB.
func sizeLabel(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}

// FormatCount renders a rate or count with an SI suffix.
func FormatCount(v float64) string {
	switch a := math.Abs(v); {
	case a >= 1e9:
		return fmt.Sprintf("%.2fG", v/1e9)
	case a >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case a >= 1e4:
		return fmt.Sprintf("%.1fk", v/1e3)
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

// FormatBytes renders a byte count in B, KiB or MiB.
func FormatBytes(v float64) string {
	switch a := math.Abs(v); {
	case a >= 1<<20:
		return fmt.Sprintf("%.1f MiB", v/(1<<20))
	case a >= 10<<10:
		return fmt.Sprintf("%.1f KiB", v/(1<<10))
	}
	return fmt.Sprintf("%.0f", v)
}

// FormatMicros renders a duration given in microseconds.
func FormatMicros(v float64) string {
	if v >= 1000 {
		return fmt.Sprintf("%.2f ms", v/1000)
	}
	return fmt.Sprintf("%.1f µs", v)
}
