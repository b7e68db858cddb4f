package scenario

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// meter measures one timed section in this process: wall time, heap
// allocations (runtime.MemStats deltas) and CPU time (getrusage, user plus
// system, every thread of the process). The server runs in another
// process, so none of its work is counted.
type meter struct {
	ms0    runtime.MemStats
	cpu0   time.Duration
	calls0 uint64
	t0     time.Time
}

// span is what a meter measured.
type span struct {
	wall   time.Duration
	cpu    time.Duration
	allocs uint64
	bytes  uint64
	// calls counts the read and write system calls (of every family:
	// read, readv, recvfrom, write, ...), from /proc/self/io; -1 where
	// that file does not exist.
	calls int64
}

// startMeter collects garbage, so every run starts from the same heap,
// and starts measuring.
func startMeter() *meter {
	runtime.GC()
	m := &meter{}
	runtime.ReadMemStats(&m.ms0)
	m.cpu0 = processCPU()
	m.calls0 = ioCalls()
	m.t0 = time.Now()
	return m
}

// stop ends the measurement.
func (m *meter) stop() span {
	wall := time.Since(m.t0)
	cpu := processCPU()
	calls := int64(ioCalls() - m.calls0)
	if m.calls0 == 0 {
		calls = -1
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return span{
		wall:   wall,
		cpu:    cpu - m.cpu0,
		allocs: ms.Mallocs - m.ms0.Mallocs,
		bytes:  ms.TotalAlloc - m.ms0.TotalAlloc,
		calls:  calls,
	}
}

// ioCalls returns the process's read and write system calls so far
// (syscr + syscw of /proc/self/io, Linux), or 0 when it cannot tell.
// Reading the file costs one read call of its own, the same in every run.
func ioCalls() uint64 {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return 0
	}
	var total uint64
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ": ")
		if k != "syscr" && k != "syscw" || !ok {
			continue
		}
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return 0
		}
		total += n
	}
	return total
}

// processCPU returns the user and system time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// perOp fills the cost metrics of a run of n operations.
func (s span) perOp(r Result, n int, prefix string) {
	f := float64(n)
	r[prefix+"allocs"] = float64(s.allocs) / f
	r[prefix+"bytes"] = float64(s.bytes) / f
	r[prefix+"cpu_ns"] = float64(s.cpu.Nanoseconds()) / f
	if s.calls >= 0 {
		r[prefix+"syscalls"] = float64(s.calls) / f
	}
}
