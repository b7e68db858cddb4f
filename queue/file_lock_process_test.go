//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly || windows

package queue

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lockDirEnv makes the test binary, re-executed, the child of
// TestFileLockedByAnotherProcess: it opens the queue in that directory.
const lockDirEnv = "STURDY_QUEUE_LOCK_DIR"

// lockHeld is the line the child writes once it holds the directory.
const lockHeld = "holding"

// TestFileLockedByAnotherProcess: the lock (flock, per open file
// description; LockFileEx on Windows, per handle) shuts out another
// process, not only another File of this one. A
// child process holds the directory until its standard input closes;
// meanwhile OpenFile here fails with *LockedError, and once the child has
// exited it succeeds.
func TestFileLockedByAnotherProcess(t *testing.T) {
	if dir := os.Getenv(lockDirEnv); dir != "" {
		lockChild(dir)
		return
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestFileLockedByAnotherProcess$")
	cmd.Env = append(os.Environ(), lockDirEnv+"="+dir)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	// The child lives until its stdin closes. This owns it: on every path,
	// a failure included, the child is told to exit and reaped.
	var (
		once    sync.Once
		waitErr error
	)
	stop := func() error {
		once.Do(func() {
			_ = stdin.Close()
			// Wait must come after the last read of stdout.
			_, _ = io.Copy(io.Discard, stdout)
			waitErr = cmd.Wait()
		})
		return waitErr
	}
	t.Cleanup(func() { _ = stop() })

	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err, "the child ended before it held the directory")
	require.Equal(t, lockHeld+"\n", line)

	_, err = OpenFile(dir, FileOptions{})
	var le *LockedError
	require.ErrorAs(t, err, &le, "another process holds the directory")
	assert.Equal(t, dir, le.Dir)
	require.ErrorIs(t, err, ErrLocked)

	require.NoError(t, stop(), "the child failed")
	f, err := OpenFile(dir, FileOptions{})
	require.NoError(t, err, "the lock dies with the process that held it")
	require.NoError(t, f.Close())
}

// lockChild opens the queue in dir, says so, and holds it until its
// standard input closes. It exits without closing the File, so the lock
// the parent then takes is one the kernel released with the process.
func lockChild(dir string) {
	if _, err := OpenFile(dir, FileOptions{}); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(3)
	}
	if _, err := os.Stdout.WriteString(lockHeld + "\n"); err != nil {
		os.Exit(3)
	}
	_, _ = io.Copy(io.Discard, os.Stdin)
}
