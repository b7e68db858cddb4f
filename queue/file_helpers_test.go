package queue

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// openTestFile opens a File in dir, closed when the test ends.
func openTestFile(t testing.TB, dir string, opts FileOptions) *File {
	t.Helper()
	f, err := OpenFile(dir, opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = f.Close() })
	return f
}

// reopen closes f and opens its directory again with opts.
func reopen(t testing.TB, f *File, opts FileOptions) *File {
	t.Helper()
	require.NoError(t, f.Close())
	return openTestFile(t, f.Dir(), opts)
}

func filePush(t testing.TB, f *File, payload string, maxAge time.Duration) uint64 {
	t.Helper()
	seq, err := f.Push(context.Background(), Message{Type: 2, Payload: []byte(payload), MaxAge: maxAge})
	require.NoError(t, err)
	return seq
}

// fileHeld hands out everything pending and returns "seq:payload" for
// each; the queue must have been rewound or freshly opened to list all.
func fileHeld(t testing.TB, f *File) []string {
	t.Helper()
	var got []string
	for {
		e, ok := f.TryNext()
		if !ok {
			return got
		}
		got = append(got, strconv.FormatUint(e.Seq, 10)+":"+string(e.Payload))
	}
}

// segFiles lists the segment files of dir and their total size.
func segFiles(t testing.TB, dir string) ([]string, int64) {
	t.Helper()
	names, err := segmentNames(dir)
	require.NoError(t, err)
	var total int64
	for _, n := range names {
		st, err := os.Stat(filepath.Join(dir, n))
		require.NoError(t, err)
		total += st.Size()
	}
	return names, total
}

// tmpfsDir returns a directory on tmpfs when the machine has one, where an
// fsync costs nothing, so tests that sync thousands of times (the crash
// test's hundreds of kills, the model test) take seconds. They lose
// nothing by it: what they check is the log, the recovery and the order
// of writes, which are the same on a disk; the crash test kills the
// process, not the kernel, whose page cache keeps every write either way.
// What a power loss would do no test can show without a machine to
// unplug.
func tmpfsDir(t *testing.T) string {
	t.Helper()
	if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
		if dir, err := os.MkdirTemp("/dev/shm", "sturdy-queue-"); err == nil {
			t.Cleanup(func() { _ = os.RemoveAll(dir) })
			return dir
		}
	}
	return t.TempDir()
}
