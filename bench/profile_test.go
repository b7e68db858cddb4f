package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestProfileWritesBoth: -cpuprofile and -memprofile each get a profile
// (gzipped protocol buffers, what go tool pprof reads), written after the
// run, whose error comes back.
func TestProfileWritesBoth(t *testing.T) {
	dir := t.TempDir()
	cpu, mem := filepath.Join(dir, "cpu"), filepath.Join(dir, "mem")
	ran := false
	err := profile(cpu, mem, func() error {
		ran = true
		return os.ErrDeadlineExceeded
	})
	require.ErrorIs(t, err, os.ErrDeadlineExceeded)
	require.True(t, ran)
	for _, path := range []string{cpu, mem} {
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		require.Greater(t, len(b), 2, path)
		assert.Equal(t, []byte{0x1f, 0x8b}, b[:2], "%s: not a gzipped profile", path)
	}
}
