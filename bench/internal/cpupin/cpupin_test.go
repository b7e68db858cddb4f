//go:build linux

package cpupin

import (
	"os"
	"runtime"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestPinAndUnpin: while pinned every thread, including one started
// after Pin, is on the one CPU; Unpin gives them all back the old set.
func TestPinAndUnpin(t *testing.T) {
	before, err := getAffinity(os.Getpid())
	require.NoError(t, err)
	procs := runtime.GOMAXPROCS(0)
	unpin, err := Pin(0)
	require.NoError(t, err)
	require.Equal(t, 1, runtime.GOMAXPROCS(0))
	// A goroutine locked to its thread, which the runtime may have had to
	// start after Pin: it too must be on the one CPU.
	var wg sync.WaitGroup
	wg.Add(1)
	release := make(chan struct{})
	locked := make(chan struct{})
	go func() {
		defer wg.Done()
		runtime.LockOSThread() // the thread exits with the goroutine
		close(locked)
		<-release
	}()
	<-locked
	tids, err := threads()
	require.NoError(t, err)
	for _, tid := range tids {
		s, err := getAffinity(tid)
		require.NoError(t, err)
		require.Equal(t, cpuSet{1}, s, "thread %d", tid)
	}
	require.NoError(t, unpin())
	require.Equal(t, procs, runtime.GOMAXPROCS(0))
	tids, err = threads()
	require.NoError(t, err)
	for _, tid := range tids {
		s, err := getAffinity(tid)
		require.NoError(t, err)
		require.Equal(t, before, s, "thread %d", tid)
	}
	close(release)
	wg.Wait()
}

// TestPinRefusesForeignCPU: a CPU outside the process's set is refused
// and nothing changes.
func TestPinRefusesForeignCPU(t *testing.T) {
	_, err := Pin(64*16 - 1)
	require.Error(t, err)
	_, err = Pin(-1)
	require.Error(t, err)
}
