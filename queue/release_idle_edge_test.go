package queue

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReleasedQueueWorksAsBefore: after ReleaseIdle has dropped the slot
// array (nil slots, a zero mask, positions kept), every call on the empty
// ring finds nothing without touching a slot: the expiry timer left armed
// by an acknowledged entry fires, acks of old and unknown numbers, a
// cumulative ack beyond anything pushed, TryNext, Rewind, Len, InFlight,
// both Drains. A waiting Next is woken by the next push; then eviction,
// holes from acks and a Rewind on the new small ring keep every promise:
// the oldest pending are evicted and reported, what is held comes back in
// order.
func TestReleasedQueueWorksAsBefore(t *testing.T) {
	q, clk, rec := newTestQueue(t, Options{MaxMessages: 4, Overflow: DropOldest})
	seq := push(t, q, "expiring", time.Second)
	require.Equal(t, []string{"expiring"}, handOut(t, q, 1))
	require.NoError(t, q.Ack(seq))
	_, ok := q.TryNext()
	require.False(t, ok)
	require.False(t, q.ReleaseIdle(), "pushed since the last call")
	require.True(t, q.ReleaseIdle())
	require.Nil(t, q.ring.slots)

	_, armed := clk.Armed()
	require.True(t, armed, "the acknowledged entry's deadline left the timer armed")
	clk.Tick(2 * time.Second) // it fires over no slots
	require.NoError(t, q.Ack(seq))
	require.NoError(t, q.Ack(seq+5))
	require.NoError(t, q.AckThrough(1<<40))
	_, ok = q.TryNext()
	require.False(t, ok)
	q.Rewind()
	n, bytes := q.Len()
	assert.Zero(t, n)
	assert.Zero(t, bytes)
	assert.Zero(t, q.InFlight())
	require.NoError(t, q.Drain(nil))
	require.NoError(t, q.Drain(func(Entry) { t.Error("an empty queue drained an entry") }))
	assert.True(t, q.ReleaseIdle(), "still quiet")
	assert.Empty(t, rec.take())

	hook, blocked := signal()
	q.waitHook = hook
	res := nextAsync(context.Background(), q)
	<-blocked // Next waits on the released ring
	a := push(t, q, "a", 0)
	r := <-res
	require.NoError(t, r.err)
	assert.Equal(t, "a", string(r.e.Payload))
	assert.Equal(t, seq+1, a, "numbers go on")

	for _, p := range []string{"b", "c", "d", "e", "f"} { // a in flight: e and f evict b and c
		push(t, q, p, 0)
	}
	assert.Equal(t, []dropRecord{{a + 1, ReasonOverflowOldest, "b"}, {a + 2, ReasonOverflowOldest, "c"}}, rec.take())
	require.NoError(t, q.Ack(a+3)) // d: a hole in the middle
	q.Rewind()
	assert.Equal(t, []string{"a", "e", "f"}, pendingPayloads(t, q))

	require.NoError(t, q.Close())
	assert.False(t, q.ReleaseIdle(), "entries held")
	assert.Equal(t, []string{"a", "e", "f"}, held(t, q), "Drain after Close")
	assert.True(t, q.ReleaseIdle(), "a closed, drained queue lets go too")
}

// TestFileReleasedQueueWorksAsBefore: a File whose slots are released
// every round (its log rolling to new segments meanwhile, under
// SyncAlways, whose gate holds entries back by their log positions)
// hands out every message, marks and acknowledges them, and after a
// reopen holds exactly what was left unacknowledged, numbered on.
func TestFileReleasedQueueWorksAsBefore(t *testing.T) {
	f := openTestFile(t, tmpfsDir(t), FileOptions{SegmentBytes: 256})
	ctx := context.Background()
	var last uint64
	for round := range 20 {
		var want, got []string
		for i := range 3 {
			p := fmt.Sprintf("round %d message %d", round, i)
			last = filePush(t, f, p, 0)
			want = append(want, p)
		}
		for range want {
			e, err := f.Next(ctx)
			require.NoError(t, err)
			got = append(got, string(e.Payload))
		}
		require.Equal(t, want, got, "round %d", round)
		require.NoError(t, f.MarkSending(last))
		require.NoError(t, f.AckThrough(last))
		_, ok := f.TryNext()
		require.False(t, ok)
		require.False(t, f.ReleaseIdle(), "round %d: pushed since", round)
		require.True(t, f.ReleaseIdle(), "round %d", round)
		require.Nil(t, f.ring.slots)
		require.NoError(t, f.Ack(last))
		require.NoError(t, f.AckThrough(last+10))
		require.NoError(t, f.Drain(func(Entry) { t.Error("an empty queue drained an entry") }))
	}
	assert.Greater(t, f.log.next, uint64(2), "the log rolled over")
	filePush(t, f, "kept", 0)
	f = reopen(t, f, FileOptions{SegmentBytes: 256})
	assert.Equal(t, []string{fmt.Sprintf("%d:kept", last+1)}, fileHeld(t, f))
}

// TestReleaseIdleQuietSpellCost: a session that goes quiet after every
// message pays a bounded few allocations for each one (the slot array,
// the payload's block, the free-list table and list, the parked-block
// list), never more as spells repeat; TestSteadyStateAllocatesNothing
// covers the session that sends between every two calls.
func TestReleaseIdleQuietSpellCost(t *testing.T) {
	ctx := context.Background()
	q := NewMemory(Options{})
	defer q.Close()
	msg := Message{Type: 2, Payload: make([]byte, 100)}
	spell := func() {
		_, _ = q.Push(ctx, msg)
		e, _ := q.Next(ctx)
		_ = q.Ack(e.Seq) // handed out: parked until the consumer calls again
		if _, ok := q.TryNext(); ok {
			t.Fatal("one message pushed, two handed out")
		}
		if q.ReleaseIdle() || !q.ReleaseIdle() {
			t.Fatal("quiet through a whole period, and not released")
		}
	}
	spell()
	allocs := testing.AllocsPerRun(100, spell)
	assert.LessOrEqual(t, allocs, 5.0+raceAllocs)
}
