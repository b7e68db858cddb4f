package fleet

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// cpuTime is the process's CPU time so far, user and system, all threads
// (getrusage(RUSAGE_SELF)).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// vmRSS is the process's resident set size in bytes, from VmRSS in
// /proc/self/status (Linux); -1 where there is none.
func vmRSS() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				return -1
			}
			return kb << 10
		}
	}
	return -1
}

// snapshot is what a process holds at one moment, after a GC.
type snapshot struct {
	heap       uint64 // live heap: HeapAlloc after two collections
	stack      uint64 // StackInuse
	goroutines int
	rss        int64
}

// take collects garbage and reads the snapshot.
func take() snapshot {
	for range 2 {
		runtime.GC()
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return snapshot{heap: ms.HeapAlloc, stack: ms.StackInuse, goroutines: runtime.NumGoroutine(), rss: vmRSS()}
}

// Up is the client process's report once every member is connected.
type Up struct {
	// Connect is the time from the first member's start to the last
	// one's connection.
	Connect time.Duration `json:"connect_ns"`
	// GoroutinesPer is (goroutines - baseline) / N, read at once when
	// the last member is connected, with no time to settle.
	GoroutinesPer float64 `json:"goroutines_per_burst"`
}

// Idle is what the fleet costs over an idle window, per member against
// the process before the first member started (the baseline).
type Idle struct {
	Window time.Duration `json:"window_ns"`
	CPU    time.Duration `json:"cpu_ns"` // user+sys over the window, whole process
	// Windows is the CPU of each of the consecutive windows, of equal
	// length, that make up Window: the other kind measures its own at
	// the same time, so the kinds' windows pair up one by one.
	Windows       []time.Duration `json:"cpu_windows_ns"`
	HeapPer       float64         `json:"heap_per"`
	StackPer      float64         `json:"stack_per"`
	GoroutinesPer float64         `json:"goroutines_per"`
	RSSPer        float64         `json:"rss_per"` // VmRSS growth over the baseline; negative: unknown
	RSS           int64           `json:"rss"`     // VmRSS at the end of the window
	BaseRSS       int64           `json:"base_rss"`
	// Allocated is what the process allocated during the window
	// (TotalAlloc), GCs the collections that ran in it: idle garbage
	// costs CPU, and each collection scans every goroutine's stack.
	Allocated uint64 `json:"allocated"`
	GCs       uint32 `json:"gcs"`
}

// CPUPerSec is the fleet's CPU time per second of idle window.
func (i Idle) CPUPerSec() time.Duration {
	if i.Window <= 0 {
		return 0
	}
	return time.Duration(float64(i.CPU) / i.Window.Seconds())
}

// measureIdle measures count consecutive windows: the CPU time spent in
// each, then, after the last, a snapshot against base. around, when not
// nil, is called as the first window opens, and what it returns as the
// last closes (a profile of the windows alone).
func measureIdle(base snapshot, n int, window time.Duration, count int, around func() func()) Idle {
	// Not the window's: the garbage of the setup, nor giving its memory
	// back to the OS. After runtime.GC alone the background scavenger
	// returns the freed pages during the window, at its paced 1% of the
	// CPU, and bills a fleet that freed more of its setup's memory (the
	// Client drops its 4 KiB read buffers once idle) for the burst
	// connect rather than for being idle.
	debug.FreeOSMemory()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	end := func() {}
	if around != nil {
		end = around()
	}
	t0, c0 := time.Now(), cpuTime()
	windows := make([]time.Duration, max(count, 1))
	last, next := c0, t0
	for i := range windows {
		next = next.Add(window)
		// A measurement window, not a wait for an event; each ends on
		// its own grid point, so the pairs stay in step with the other
		// process's windows.
		time.Sleep(time.Until(next))
		c := cpuTime()
		windows[i], last = c-last, c
	}
	c1, t1 := last, time.Now()
	end()
	runtime.ReadMemStats(&m1)
	s := take()
	f := float64(n)
	out := Idle{
		Window: t1.Sub(t0), CPU: c1 - c0, Windows: windows,
		HeapPer:       (float64(s.heap) - float64(base.heap)) / f,
		StackPer:      (float64(s.stack) - float64(base.stack)) / f,
		GoroutinesPer: float64(s.goroutines-base.goroutines) / f,
		RSS:           s.rss, BaseRSS: base.rss, RSSPer: -1,
		Allocated: m1.TotalAlloc - m0.TotalAlloc, GCs: m1.NumGC - m0.NumGC,
	}
	if s.rss >= 0 && base.rss >= 0 {
		out.RSSPer = float64(s.rss-base.rss) / f
	}
	return out
}

// String is a one-line summary for the progress log.
func (i Idle) String() string {
	return fmt.Sprintf("heap %.0f B, stack %.0f B, %.2f goroutines, RSS %.0f B per member; CPU %v/s; %d B allocated, %d GCs",
		i.HeapPer, i.StackPer, i.GoroutinesPer, i.RSSPer, i.CPUPerSec().Round(time.Microsecond), i.Allocated, i.GCs)
}
