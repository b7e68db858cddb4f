package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sturdyws/sturdy/queue"
)

// queueDirLine is what the agent prints when it makes its own directory.
var queueDirLine = regexp.MustCompile(`no -dir: the queue is in (\S+) \(pass -dir (\S+) to carry on from it\)`)

// tempQueueDir returns the directory the agent said it made, which must
// be a new one under the system's temporary directory.
func tempQueueDir(t *testing.T, out string) string {
	t.Helper()
	m := queueDirLine.FindStringSubmatch(out)
	require.NotNil(t, m, "the agent says where its queue is:\n%s", out)
	require.Equal(t, m[1], m[2])
	rel, err := filepath.Rel(os.TempDir(), m[1])
	require.NoError(t, err)
	require.True(t, filepath.IsLocal(rel), "%s is under %s", m[1], os.TempDir())
	return m[1]
}

// TestAgentWithoutDirLeavesNothingBehind: run without -dir (the README's
// command), the agent keeps its queue in a new temporary directory, says
// where, and removes it once every reading is delivered; nothing appears
// in the working directory.
func TestAgentWithoutDirLeavesNothingBehind(t *testing.T) {
	before, err := os.ReadDir(".")
	require.NoError(t, err)
	var out bytes.Buffer
	err = run(t.Context(), []string{"-readings", "2", "-every", "0", "-retry", "20ms"}, &out, &out, nil)
	require.NoError(t, err, out.String())
	dir := tempQueueDir(t, out.String())
	require.Contains(t, out.String(), "server received all 2 readings (#1 to #2), in order", out.String())
	_, err = os.Stat(dir)
	require.ErrorIs(t, err, os.ErrNotExist, "the temporary queue is removed after a clean run")
	after, err := os.ReadDir(".")
	require.NoError(t, err)
	require.Equal(t, before, after, "the working directory is left as it was")
}

// TestCrashWithoutDirKeepsTheQueue: a crash keeps the temporary directory
// and its readings, at the path printed, for a rerun with -dir.
func TestCrashWithoutDirKeepsTheQueue(t *testing.T) {
	out, code := runChild(t, "-offline", "-crash", "-readings", "3", "-every", "0")
	require.Equal(t, 3, code, out)
	dir := tempQueueDir(t, out)
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	q, err := queue.OpenFile(dir, queue.FileOptions{})
	require.NoError(t, err, out)
	n, _ := q.Len()
	require.NoError(t, q.Close())
	require.Equal(t, 3, n, "the crashed run's readings wait in the directory it printed")
}
