package queue

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReleaseIdle: an empty queue lets its slots and recycled blocks go at
// the second call with no push in between, never while an entry is held
// or a handed-out block is parked, and works as before afterwards: the
// numbers go on, the payloads arrive intact, and pushes between calls
// keep the memory.
func TestReleaseIdle(t *testing.T) {
	q, _, _ := newTestQueue(t, Options{})
	assert.True(t, q.ReleaseIdle(), "never used: nothing held")
	for i := range 100 { // a burst, acknowledged as it goes
		seq := push(t, q, fmt.Sprint("burst ", i), 0)
		require.NoError(t, q.Ack(seq))
	}
	held := push(t, q, "held", 0)
	require.Equal(t, []string{"held"}, handOut(t, q, 1))
	assert.False(t, q.ReleaseIdle(), "pushed since the last call")
	assert.False(t, q.ReleaseIdle(), "an entry in flight")
	require.NoError(t, q.Ack(held))
	require.Len(t, q.retired.blocks, 1, "parked until the consumer calls again")
	parked := q.retired.blocks[0]
	assert.NotNil(t, q.ring.slots)
	assert.True(t, q.ReleaseIdle(), "empty, and nothing pushed through a whole period")
	assert.Nil(t, q.retired.blocks, "the parked block goes to the collector, never back to storage")
	for i := range 20 { // no later push is given the parked block
		seq := push(t, q, fmt.Sprint("reuse ", i), 0)
		require.NoError(t, q.Ack(seq))
	}
	assert.Equal(t, "held", string(parked[:4]), "the consumer's payload is untouched")
	_, ok := q.TryNext()
	require.False(t, ok)
	assert.False(t, q.ReleaseIdle())
	assert.True(t, q.ReleaseIdle())
	assert.Nil(t, q.ring.slots)
	assert.Nil(t, q.store.free)
	assert.Zero(t, q.store.idle)

	for round := range 3 {
		a, b := fmt.Sprint("a", round), fmt.Sprint("b", round)
		sa, sb := push(t, q, a, 0), push(t, q, b, 0)
		assert.Equal(t, sa+1, sb)
		assert.Equal(t, []string{a, b}, handOut(t, q, 2))
		require.NoError(t, q.AckThrough(sb))
		_, ok := q.TryNext()
		require.False(t, ok)
		assert.False(t, q.ReleaseIdle(), "round %d: pushed since", round)
	}
	assert.True(t, q.ReleaseIdle())
	// Numbers go on from where they were after a release.
	seq := push(t, q, "last", 0)
	assert.Equal(t, uint64(100+1+20+6+1), seq)
	assert.Equal(t, []string{"last"}, handOut(t, q, 1))
}

// TestFileReleaseIdle: the durable queue shares it; its log is untouched
// and a reopen finds what was pushed after a release.
func TestFileReleaseIdle(t *testing.T) {
	dir := t.TempDir()
	f := openTestFile(t, dir, FileOptions{})
	for i := range 20 {
		seq := filePush(t, f, fmt.Sprint("m", i), 0)
		e, err := f.Next(context.Background())
		require.NoError(t, err)
		require.Equal(t, seq, e.Seq)
		require.NoError(t, f.Ack(seq))
	}
	_, ok := f.TryNext()
	require.False(t, ok)
	assert.False(t, f.ReleaseIdle())
	assert.True(t, f.ReleaseIdle())
	assert.Nil(t, f.ring.slots)
	filePush(t, f, "after", 0)
	f = reopen(t, f, FileOptions{})
	assert.Equal(t, []string{"21:after"}, fileHeld(t, f), "numbers go on")
}

// TestReleaseIdleNeverWaits: ReleaseIdle runs on the Client's heartbeat,
// which must not stall behind the queue: a File holds its lock while it
// moves to a new segment, fsync and compaction included (seconds for a
// large log on a slow disk). A ReleaseIdle that meets the lock held gives
// up at once and reports false; the next call, once the lock is free,
// releases as before. The fsync hook below runs under that lock, on the
// goroutine that holds it, so a ReleaseIdle that waited for the lock
// would never return.
func TestReleaseIdleNeverWaits(t *testing.T) {
	f := openTestFile(t, tmpfsDir(t), FileOptions{SegmentBytes: 256})
	roll := false
	var calls []bool
	f.sync.fsyncHook = func() {
		if !roll {
			return
		}
		if f.mu.TryLock() {
			f.mu.Unlock()
			return // the push's own fsync, after it let the lock go
		}
		// A new segment's fsync: this goroutine holds the lock (nothing
		// else runs: under SyncAlways no timer syncs).
		roll = false
		calls = append(calls, f.ReleaseIdle())
	}
	for i := 0; ; i++ {
		next := f.log.next
		roll = true
		seq := filePush(t, f, fmt.Sprint("message ", i), 0)
		roll = false
		e, err := f.Next(context.Background())
		require.NoError(t, err)
		require.Equal(t, seq, e.Seq)
		require.NoError(t, f.Ack(seq))
		if f.log.next > next {
			break // this push moved the log to a new segment
		}
		require.Empty(t, calls, "push %d wrote no new segment", i)
	}
	assert.Equal(t, []bool{false}, calls, "the lock was held: nothing released, nothing waited for")
	assert.False(t, f.ReleaseIdle(), "pushed since the last call that took the lock")
	assert.True(t, f.ReleaseIdle())
	assert.Nil(t, f.ring.slots)
}
