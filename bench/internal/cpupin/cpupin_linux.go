package cpupin

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"syscall"
	"unsafe"
)

// cpuSet is a Linux cpu_set_t of 1,024 CPUs.
type cpuSet [16]uint64

func getAffinity(tid int) (cpuSet, error) {
	var s cpuSet
	_, _, e := syscall.RawSyscall(syscall.SYS_SCHED_GETAFFINITY, uintptr(tid), unsafe.Sizeof(s), uintptr(unsafe.Pointer(&s)))
	if e != 0 {
		return s, e
	}
	return s, nil
}

func setAffinity(tid int, s cpuSet) error {
	_, _, e := syscall.RawSyscall(syscall.SYS_SCHED_SETAFFINITY, uintptr(tid), unsafe.Sizeof(s), uintptr(unsafe.Pointer(&s)))
	if e != 0 {
		return e
	}
	return nil
}

// threads lists the process's thread ids.
func threads() ([]int, error) {
	ents, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return nil, err
	}
	tids := make([]int, 0, len(ents))
	for _, e := range ents {
		if tid, err := strconv.Atoi(e.Name()); err == nil {
			tids = append(tids, tid)
		}
	}
	return tids, nil
}

// setAll gives every thread the set s. A thread started meanwhile by one
// not yet moved would keep the old set, so it goes over the list until a
// pass finds no thread it has not set.
func setAll(s cpuSet) error {
	done := map[int]bool{}
	for pass := 0; pass < 10; pass++ {
		tids, err := threads()
		if err != nil {
			return err
		}
		fresh := 0
		for _, tid := range tids {
			if done[tid] {
				continue
			}
			fresh++
			// A thread may exit between the listing and the call.
			if err := setAffinity(tid, s); err != nil && err != syscall.ESRCH {
				return fmt.Errorf("cpupin: thread %d: %w", tid, err)
			}
			done[tid] = true
		}
		if fresh == 0 {
			return nil
		}
	}
	return fmt.Errorf("cpupin: threads kept appearing")
}

// Pin confines every thread of the process to cpu, with GOMAXPROCS 1 as
// the runtime would choose had the process started there, and returns the
// function that gives back the CPUs the process had and the runtime's own
// GOMAXPROCS. (Left at 2 on one CPU, an idle P spins looking for work on
// the CPU the other process needs; the runtime's periodic update would
// lower it at some unknown moment mid-measurement.)
func Pin(cpu int) (unpin func() error, err error) {
	if cpu < 0 || cpu >= 64*len(cpuSet{}) {
		return nil, fmt.Errorf("cpupin: no CPU %d", cpu)
	}
	before, err := getAffinity(os.Getpid())
	if err != nil {
		return nil, err
	}
	var one cpuSet
	one[cpu/64] = 1 << (cpu % 64)
	if before[cpu/64]&one[cpu/64] == 0 {
		return nil, fmt.Errorf("cpupin: CPU %d is not one this process may use", cpu)
	}
	if err := setAll(one); err != nil {
		_ = setAll(before)
		return nil, err
	}
	runtime.GOMAXPROCS(1)
	return func() error {
		err := setAll(before)
		runtime.SetDefaultGOMAXPROCS()
		return err
	}, nil
}
