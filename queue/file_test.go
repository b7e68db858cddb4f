package queue

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFileReplaysAfterReopen(t *testing.T) {
	clk := newFakeClock()
	opts := FileOptions{Options: Options{Now: clk.Now}}
	f := openTestFile(t, t.TempDir(), opts)
	require.True(t, f.Durable())
	require.Equal(t, uint64(1), filePush(t, f, "a", 0))
	clk.Advance(time.Second)
	require.Equal(t, uint64(2), filePush(t, f, "b", time.Minute))
	require.Equal(t, uint64(3), filePush(t, f, "", 0))
	e, ok := f.TryNext()
	require.True(t, ok)
	require.Equal(t, "a", string(e.Payload))

	f = reopen(t, f, opts)
	rec := f.Recovery()
	assert.Equal(t, 3, rec.Entries)
	assert.Equal(t, uint64(3), rec.LastSeq)
	assert.Empty(t, rec.Damage)
	n, b := f.Len()
	assert.Equal(t, 3, n)
	assert.Equal(t, int64(2), b)

	want := []Entry{
		{Seq: 1, Type: 2, Payload: []byte("a"), Enqueued: clk.t.Add(-time.Second)},
		{Seq: 2, Type: 2, Payload: []byte("b"), Enqueued: clk.t, Deadline: clk.t.Add(time.Minute)},
		{Seq: 3, Type: 2, Payload: []byte{}, Enqueued: clk.t},
	}
	for i, w := range want {
		got, ok := f.TryNext()
		require.True(t, ok, "entry %d", i)
		assert.Equal(t, w.Seq, got.Seq)
		assert.Equal(t, w.Type, got.Type)
		assert.Equal(t, string(w.Payload), string(got.Payload))
		assert.True(t, w.Enqueued.Equal(got.Enqueued), "got enqueued %v, want %v", got.Enqueued, w.Enqueued)
		assert.True(t, w.Deadline.Equal(got.Deadline), "got deadline %v, want %v", got.Deadline, w.Deadline)
	}
	require.Equal(t, uint64(4), filePush(t, f, "d", 0), "numbering continues after a restart")
}

func TestFileAcksAreNotReplayed(t *testing.T) {
	f := openTestFile(t, t.TempDir(), FileOptions{})
	for _, p := range []string{"1", "2", "3", "4", "5", "6", "7", "8"} {
		filePush(t, f, p, 0)
	}
	require.NoError(t, f.Ack(5))
	require.NoError(t, f.Ack(2))
	require.NoError(t, f.AckThrough(3))
	require.NoError(t, f.Ack(7))
	require.NoError(t, f.Ack(99), "unknown seq is ignored")
	// A cumulative ack beyond what was pushed must not swallow later pushes.
	require.NoError(t, f.AckThrough(4))
	require.NoError(t, f.AckThrough(1000))
	require.Equal(t, uint64(9), filePush(t, f, "9", 0))
	require.Equal(t, uint64(10), filePush(t, f, "10", 0))
	require.NoError(t, f.Ack(9))

	f = reopen(t, f, FileOptions{})
	assert.Equal(t, []string{"10:10"}, fileHeld(t, f))
	f = reopen(t, f, FileOptions{})
	assert.Equal(t, []string{"10:10"}, fileHeld(t, f), "a second reopen finds the same")
}

func TestFileNumberingSurvivesEmptyLog(t *testing.T) {
	opts := FileOptions{SegmentBytes: 256}
	f := openTestFile(t, t.TempDir(), opts)
	for range 20 {
		seq := filePush(t, f, strings.Repeat("x", 40), 0)
		require.NoError(t, f.Ack(seq))
	}
	names, _ := segFiles(t, f.Dir())
	assert.Len(t, names, 1, "acknowledged segments are deleted")
	f = reopen(t, f, opts)
	assert.Equal(t, uint64(20), f.Recovery().LastSeq)
	assert.Equal(t, uint64(21), filePush(t, f, "next", 0))
}

func TestFileDiskStaysBounded(t *testing.T) {
	// One message is never acknowledged while thousands flow past it:
	// without compaction it would pin every segment after its own.
	const segBytes = 1 << 10
	opts := FileOptions{SegmentBytes: segBytes, Sync: SyncNever}
	f := openTestFile(t, t.TempDir(), opts)
	pinned := filePush(t, f, "pinned", 0)
	payload := strings.Repeat("p", 100)
	for i := range 2000 {
		seq := filePush(t, f, payload, 0)
		require.NoError(t, f.Ack(seq))
		_, size := segFiles(t, f.Dir())
		// Twice the live record, two segments of slack, the active segment
		// and the record that triggered the roll.
		require.LessOrEqual(t, size, int64(2*(recHeaderSize+6)+3*segBytes+2*(recHeaderSize+100)), "after push %d", i)
	}
	f = reopen(t, f, opts)
	assert.Equal(t, []string{"1:pinned"}, fileHeld(t, f))
	assert.Equal(t, uint64(1), pinned)
}

func TestFileLocked(t *testing.T) {
	dir := t.TempDir()
	f := openTestFile(t, dir, FileOptions{})
	_, err := OpenFile(dir, FileOptions{})
	require.ErrorIs(t, err, ErrLocked)
	var le *LockedError
	require.ErrorAs(t, err, &le)
	assert.Equal(t, dir, le.Dir)
	require.NoError(t, f.Close())
	g, err := OpenFile(dir, FileOptions{})
	require.NoError(t, err, "Close releases the directory")
	require.NoError(t, g.Close())
}

func TestFileCloseAndDrain(t *testing.T) {
	rec := &recorder{}
	opts := FileOptions{Options: Options{OnDrop: rec.OnDrop}}
	f := openTestFile(t, t.TempDir(), opts)
	filePush(t, f, "a", 0)
	filePush(t, f, "b", 0)
	var got []string
	require.NoError(t, f.Drain(func(e Entry) { got = append(got, string(e.Payload)) }))
	assert.Equal(t, []string{"a", "b"}, got)
	filePush(t, f, "c", 0)
	require.NoError(t, f.Drain(nil))
	assert.Equal(t, []dropRecord{{3, ReasonClosed, "c"}}, rec.take())
	filePush(t, f, "d", 0)

	require.NoError(t, f.Close())
	require.NoError(t, f.Close(), "idempotent")
	require.ErrorIs(t, f.Drain(nil), ErrClosed, "a closed File keeps its entries")
	_, err := f.Push(context.Background(), Message{Payload: []byte("x")})
	require.ErrorIs(t, err, ErrClosed)
	require.ErrorIs(t, f.Ack(4), ErrClosed)
	_, err = f.Next(context.Background())
	require.ErrorIs(t, err, ErrClosed)

	f = openTestFile(t, f.Dir(), opts)
	assert.Equal(t, []string{"4:d"}, fileHeld(t, f), "drained entries are not replayed")
}

func TestFileOverflowAndExpiryAreLogged(t *testing.T) {
	clk := newFakeClock()
	rec := &recorder{}
	opts := FileOptions{Options: Options{MaxMessages: 3, Overflow: DropOldest, OnDrop: rec.OnDrop, Now: clk.Now}}
	f := openTestFile(t, t.TempDir(), opts)
	filePush(t, f, "a", 0)
	filePush(t, f, "b", time.Second)
	filePush(t, f, "c", 0)
	filePush(t, f, "d", 0) // evicts a
	clk.Advance(time.Second)
	filePush(t, f, "e", 0) // sweeps b, which has expired
	assert.Equal(t, []dropRecord{{1, ReasonOverflowOldest, "a"}, {2, ReasonExpired, "b"}}, rec.take())

	f = reopen(t, f, opts)
	assert.Equal(t, []string{"3:c", "4:d", "5:e"}, fileHeld(t, f))

	opts.Overflow = Reject
	f = reopen(t, f, opts)
	_, err := f.Push(context.Background(), Message{Payload: []byte("f")})
	require.ErrorIs(t, err, ErrQueueFull)
	opts.Overflow = DropNewest
	f = reopen(t, f, opts)
	_, err = f.Push(context.Background(), Message{Payload: []byte("g")})
	require.ErrorIs(t, err, ErrDropped)
	assert.Equal(t, []dropRecord{{0, ReasonOverflowNewest, "g"}}, rec.take())
	_, err = f.Push(context.Background(), Message{Payload: make([]byte, DefaultMaxBytes+1)})
	var tl *TooLargeError
	require.ErrorAs(t, err, &tl)

	// Lowering the limits between runs drops the oldest, reported.
	opts.MaxMessages = 1
	f = reopen(t, f, opts)
	assert.Equal(t, 2, f.Recovery().Overflow)
	assert.Equal(t, []dropRecord{{3, ReasonOverflowOldest, "c"}, {4, ReasonOverflowOldest, "d"}}, rec.take())
	opts.MaxMessages = 10
	f = reopen(t, f, opts)
	assert.Equal(t, []string{"5:e"}, fileHeld(t, f))
}

func TestFileBlockingPush(t *testing.T) {
	f := openTestFile(t, t.TempDir(), FileOptions{Options: Options{MaxMessages: 1}})
	hook, blocked := signal()
	f.waitHook = hook
	filePush(t, f, "a", 0)
	out := make(chan error, 1)
	go func() {
		_, err := f.Push(context.Background(), Message{Payload: []byte("b")})
		out <- err
	}()
	<-blocked
	require.NoError(t, f.Ack(1))
	require.NoError(t, <-out)

	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		_, err := f.Push(ctx, Message{Payload: []byte("c")})
		out <- err
	}()
	<-blocked
	cancel()
	require.ErrorIs(t, <-out, context.Canceled)

	next := make(chan error, 1)
	e, err := f.Next(context.Background())
	require.NoError(t, err)
	require.Equal(t, "b", string(e.Payload))
	go func() {
		_, err := f.Next(context.Background())
		next <- err
	}()
	<-blocked
	require.NoError(t, f.Close())
	require.ErrorIs(t, <-next, ErrClosed)
}

func TestFileSyncPolicies(t *testing.T) {
	for _, p := range []SyncPolicy{SyncAlways, SyncInterval, SyncNever} {
		t.Run(p.String(), func(t *testing.T) {
			opts := FileOptions{Sync: p, SyncEvery: time.Millisecond, SegmentBytes: 512}
			f := openTestFile(t, t.TempDir(), opts)
			synced := make(chan uint64, 1000)
			f.sync.hook = func(pos uint64) { synced <- pos }
			for i := range 50 {
				filePush(t, f, strings.Repeat("s", i), 0)
			}
			if p == SyncInterval {
				// The timer syncs everything written without anyone asking.
				f.mu.Lock()
				want := f.log.written
				f.mu.Unlock()
				for pos := range synced {
					if pos >= want {
						break
					}
				}
			}
			require.NoError(t, f.AckThrough(25))
			f = reopen(t, f, opts)
			assert.Equal(t, 25, f.Recovery().Entries)
		})
	}
	assert.Equal(t, "SyncPolicy(7)", SyncPolicy(7).String())
}

func TestFileDamageStrings(t *testing.T) {
	d := Damage{Kind: Corrupt, Segment: "x.seg", Offset: 3, Length: 4, Seq: 5, After: 4, Before: 6}
	assert.Equal(t, "queue: Corrupt in x.seg at offset 3 (4 bytes, record seq 5, between seq 4 and 6)", d.String())
	assert.Equal(t, "DamageKind(9)", DamageKind(9).String())
	assert.True(t, errors.Is(&LockedError{Dir: "d"}, ErrLocked))
}
