package queue

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFileReplaysAfterReopen(t *testing.T) {
	clk := newFakeClock()
	opts := FileOptions{Options: Options{Now: clk.Now, afterFunc: clk.AfterFunc}}
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
	opts := FileOptions{Options: Options{MaxMessages: 3, Overflow: DropOldest, OnDrop: rec.OnDrop, Now: clk.Now, afterFunc: clk.AfterFunc}}
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

// TestFileSyncPolicies checks what each policy forces to disk, by
// watching the fsyncs the File makes: reading the log back in the same
// process would prove nothing, since the page cache holds what was never
// synced.
func TestFileSyncPolicies(t *testing.T) {
	tests := []struct {
		policy SyncPolicy
		// pushSyncs: each Push returns with its record fsynced.
		pushSyncs bool
		// fsyncs: anything of the log is fsynced while pushing.
		fsyncs bool
		// tick: the timer fsyncs what was written, unasked.
		tick bool
	}{
		{SyncAlways, true, true, false},
		{SyncInterval, false, true, true},
		{SyncNever, false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.policy.String(), func(t *testing.T) {
			// Small segments, so that the pushes roll over: the retired
			// segments must be synced too, and a roll fsyncs the new one.
			opts := FileOptions{Sync: tt.policy, SyncEvery: time.Millisecond, SegmentBytes: 512}
			f := openTestFile(t, tmpfsDir(t), opts)
			// Ticks are fewer than the pushes that arm the timer, so the
			// buffer never fills; if it did, the wait below would fail
			// rather than the timer's goroutine block.
			synced := make(chan uint64, 100)
			f.sync.hook = func(pos uint64) {
				select {
				case synced <- pos:
				default:
				}
			}
			for i := range 50 {
				filePush(t, f, strings.Repeat("s", i), 0)
				if tt.pushSyncs {
					require.GreaterOrEqual(t, syncedPos(f), writtenPos(f), "push %d returned before its fsync", i)
				}
			}
			want := writtenPos(f)
			if tt.fsyncs {
				assert.NotZero(t, f.sync.fsyncs.Load(), "no fsync while pushing")
			} else {
				assert.Zero(t, f.sync.fsyncs.Load(), "fsyncs while pushing")
			}
			if !tt.tick {
				assert.Empty(t, synced, "no timer under %v", tt.policy)
				return
			}
			// The timer syncs everything written without anyone asking,
			// within SyncEvery; the timeout only stops a broken timer
			// from hanging the test.
			timeout := time.NewTimer(10 * time.Second)
			defer timeout.Stop()
			for {
				select {
				case pos := <-synced:
					if pos >= want {
						assert.GreaterOrEqual(t, syncedPos(f), want)
						return
					}
				case <-timeout.C:
					t.Fatalf("no sync reached position %d within 10s; synced %d", want, syncedPos(f))
				}
			}
		})
	}
	assert.Equal(t, "SyncPolicy(7)", SyncPolicy(7).String())
}

// writtenPos returns the log position of everything written so far.
func writtenPos(f *File) uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.log.written
}

// syncedPos returns the log position known durable.
func syncedPos(f *File) uint64 {
	f.sync.mu.Lock()
	defer f.sync.mu.Unlock()
	return f.sync.synced
}

// TestFileCloseWaitsForTick: a SyncInterval tick that began before Close
// stopped the timer still runs; Close must wait for it, so nothing of the
// File outlives Close.
func TestFileCloseWaitsForTick(t *testing.T) {
	f := openTestFile(t, tmpfsDir(t), FileOptions{Sync: SyncInterval, SyncEvery: time.Millisecond})
	entered := make(chan struct{})
	release := make(chan struct{})
	var enter, unblock sync.Once
	// Registered after openTestFile's cleanup, so it runs first: a failed
	// test still lets the tick, then Close, finish.
	t.Cleanup(func() { unblock.Do(func() { close(release) }) })
	var finished atomic.Bool
	f.sync.hook = func(uint64) {
		enter.Do(func() { close(entered) })
		<-release
		finished.Store(true)
	}
	filePush(t, f, "a", 0)
	select {
	case <-entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the timer did not sync within 10s")
	}

	closed := make(chan error, 1)
	go func() { closed <- f.Close() }()
	// Close cannot return while the tick is held, however long we look;
	// without the wait it returned at once, well within this window.
	select {
	case err := <-closed:
		t.Fatalf("Close returned (%v) while a tick was running", err)
	case <-time.After(50 * time.Millisecond):
	}
	unblock.Do(func() { close(release) })
	select {
	case err := <-closed:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return within 10s of the tick ending")
	}
	assert.True(t, finished.Load(), "Close returned before the tick ended")
}

func TestFileDamageStrings(t *testing.T) {
	d := Damage{Kind: Corrupt, Segment: "x.seg", Offset: 3, Length: 4, Seq: 5, After: 4, Before: 6}
	assert.Equal(t, "queue: Corrupt in x.seg at offset 3 (4 bytes, record seq 5, between seq 4 and 6)", d.String())
	assert.Equal(t, "DamageKind(9)", DamageKind(9).String())
	assert.Equal(t, []string{"TornTail", "Corrupt", "Lost", "LostMeta"},
		[]string{TornTail.String(), Corrupt.String(), Lost.String(), LostMeta.String()})
	assert.True(t, errors.Is(&LockedError{Dir: "d"}, ErrLocked))
}
