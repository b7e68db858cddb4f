package queue

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// inDoubt returns "seq:payload" of each entry f hands out, with a * after
// the seq of those InDoubt.
func inDoubt(t *testing.T, f *File) []string {
	t.Helper()
	var got []string
	for e, ok := f.TryNext(); ok; e, ok = f.TryNext() {
		s := string(e.Payload)
		if e.InDoubt {
			s += "*"
		}
		got = append(got, s)
	}
	return got
}

// TestFileMarkSending: entries marked before a write and not acknowledged
// come back InDoubt after a restart; the others do not; a mark beyond the
// last push marks nothing pushed later; the mark is not a removal.
func TestFileMarkSending(t *testing.T) {
	opts := FileOptions{Sync: SyncNever}
	f := openTestFile(t, tmpfsDir(t), opts)
	for _, p := range []string{"a", "b", "c", "d", "e"} {
		filePush(t, f, p, 0)
	}
	require.Len(t, inDoubt(t, f), 5)
	require.NoError(t, f.MarkSending(3))
	require.NoError(t, f.MarkSending(2), "a lower mark changes nothing")
	require.NoError(t, f.Ack(1))
	require.Equal(t, []string{"b", "c", "d", "e"}, fileHeldPayloads(f), "in this opening nothing is in doubt")

	f = reopen(t, f, opts)
	require.Equal(t, []string{"b*", "c*", "d", "e"}, inDoubt(t, f))
	require.NoError(t, f.MarkSending(100)) // beyond the last push: marks 2..5 only
	filePush(t, f, "f", 0)

	f = reopen(t, f, opts)
	require.Equal(t, []string{"b*", "c*", "d*", "e*", "f"}, inDoubt(t, f))
	f.Rewind()
	require.Equal(t, []string{"b*", "c*", "d*", "e*", "f"}, inDoubt(t, f), "still in doubt when handed out again")
	require.NoError(t, f.AckThrough(4))
	f = reopen(t, f, opts)
	require.Equal(t, []string{"e*", "f"}, inDoubt(t, f))
	require.NoError(t, f.Close())
	require.ErrorIs(t, f.MarkSending(5), ErrClosed)
}

// fileHeldPayloads rewinds f and returns the payloads it hands out, with a
// * on those InDoubt.
func fileHeldPayloads(f *File) []string {
	f.Rewind()
	var got []string
	for e, ok := f.TryNext(); ok; e, ok = f.TryNext() {
		s := string(e.Payload)
		if e.InDoubt {
			s += "*"
		}
		got = append(got, s)
	}
	return got
}

// TestFileMarkSurvivesCompaction: an old unacknowledged message pins the
// log until it is compacted; the compacted log must keep the mark, or the
// message would be sent again after a restart.
func TestFileMarkSurvivesCompaction(t *testing.T) {
	opts := FileOptions{Sync: SyncNever, SegmentBytes: 256}
	f := openTestFile(t, tmpfsDir(t), opts)
	filePush(t, f, "old", 0)
	_, _ = f.TryNext()
	require.NoError(t, f.MarkSending(1))
	first, _ := segFiles(t, f.Dir())
	for i := range 200 {
		seq := filePush(t, f, strings.Repeat("x", 20+i%7), 0)
		require.NoError(t, f.Ack(seq))
	}
	names, _ := segFiles(t, f.Dir())
	require.NotContains(t, names, first[0], "the log was compacted past the mark's segment")
	f = reopen(t, f, opts)
	require.Equal(t, []string{"old*"}, inDoubt(t, f))
}

// TestFileMarkSyncCost: MarkSending fsyncs under SyncAlways before it
// returns, and never under SyncInterval or SyncNever.
func TestFileMarkSyncCost(t *testing.T) {
	for _, p := range []SyncPolicy{SyncAlways, SyncInterval, SyncNever} {
		t.Run(p.String(), func(t *testing.T) {
			f := openTestFile(t, tmpfsDir(t), FileOptions{Sync: p, SyncEvery: time.Hour})
			filePush(t, f, "m", 0)
			before := f.sync.fsyncs.Load()
			require.NoError(t, f.MarkSending(1))
			after := f.sync.fsyncs.Load()
			f.mu.Lock()
			written := f.log.written
			f.mu.Unlock()
			if p == SyncAlways {
				require.Greater(t, after, before, "the mark must be fsynced before MarkSending returns")
				require.Equal(t, written, f.sync.synced)
			} else {
				require.Equal(t, before, after, "no fsync of its own")
			}
		})
	}
}
