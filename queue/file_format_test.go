package queue

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFileRefusesFormatV1 opens a directory written by the first log
// format (testdata/format-v1 holds the segments a File at commit 444f2f9
// wrote: six pushes, two of them acknowledged, over two segments). It is
// refused with a *FormatError matching ErrFormat, and left untouched, so
// the version that wrote it can still drain it.
func TestFileRefusesFormatV1(t *testing.T) {
	src := filepath.Join("testdata", "format-v1")
	des, err := os.ReadDir(src)
	require.NoError(t, err)
	dir := filepath.Join(t.TempDir(), "old")
	require.NoError(t, os.MkdirAll(dir, 0o700))
	before := map[string][]byte{}
	for _, de := range des {
		b, err := os.ReadFile(filepath.Join(src, de.Name()))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, de.Name()), b, 0o600))
		before[de.Name()] = b
	}
	require.NotEmpty(t, before)

	f, err := OpenFile(dir, FileOptions{})
	require.Nil(t, f)
	require.ErrorIs(t, err, ErrFormat)
	var fe *FormatError
	require.True(t, errors.As(err, &fe))
	assert.Equal(t, 1, fe.Version)
	assert.Equal(t, dir, fe.Dir)
	assert.Equal(t, "0000000000000000.seg", fe.Segment)
	assert.Contains(t, err.Error(), "log format 1")

	des, err = os.ReadDir(dir)
	require.NoError(t, err)
	for _, de := range des {
		if de.Name() == "LOCK" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, de.Name()))
		require.NoError(t, err)
		assert.Equal(t, before[de.Name()], b, "%s was changed", de.Name())
	}
	assert.NoFileExists(t, filepath.Join(dir, metaName), "no META written")

	// The lock was released: the caller may move the directory away and
	// open a new one in its place.
	require.NoError(t, os.RemoveAll(dir))
	f = openTestFile(t, dir, FileOptions{})
	require.NoError(t, f.Close())
}

// TestFileLostSegmentRuns: a run of missing segments is one Lost report
// naming the run, and a stray segment file with a huge index is reported,
// not counted up to.
func TestFileLostSegmentRuns(t *testing.T) {
	names, files, _ := referenceLog(t)
	require.GreaterOrEqual(t, len(names), 5, "META and four segments")
	dir := filepath.Join(t.TempDir(), "q")
	damaged := append([][]byte(nil), files...)
	damaged[1], damaged[2] = nil, nil
	writeLog(t, dir, names, damaged)
	f, err := OpenFile(dir, FileOptions{Sync: SyncNever})
	require.NoError(t, err)
	ds := f.Recovery().Damage
	require.NoError(t, f.Close())
	require.Len(t, ds, 1)
	assert.Equal(t, Lost, ds[0].Kind)
	assert.Equal(t, names[1]+".."+names[2], ds[0].Segment)

	writeLog(t, dir, names, files)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "7fffffffffffffff.seg"), []byte("stray"), 0o600))
	f, err = OpenFile(dir, FileOptions{Sync: SyncNever})
	require.NoError(t, err)
	ds = f.Recovery().Damage
	require.NoError(t, f.Close())
	require.NotEmpty(t, ds)
	assert.Equal(t, Lost, ds[0].Kind, "the segments between the log and the stray file: %v", ds)
	assert.Contains(t, ds[0].Segment, "..7ffffffffffffffe.seg")
}
