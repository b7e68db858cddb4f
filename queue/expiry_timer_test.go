package queue

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// timedQueues returns a Memory and a File on clk, with its timers, whose
// drops rec records.
func timedQueues(t *testing.T, clk *fakeClock, rec *recorder, o Options) []struct {
	name string
	q    Queue
} {
	o.Now, o.afterFunc, o.OnDrop = clk.Now, clk.AfterFunc, rec.OnDrop
	return []struct {
		name string
		q    Queue
	}{
		{"Memory", NewMemory(o)},
		{"File", openTestFile(t, tmpfsDir(t), FileOptions{Options: o, Sync: SyncNever})},
	}
}

// TestExpiryTimerDropsUnasked: nobody calls the queue, yet each entry is
// dropped and reported when its deadline passes, and its room is freed.
func TestExpiryTimerDropsUnasked(t *testing.T) {
	clk, rec := newFakeClock(), &recorder{}
	for _, tq := range timedQueues(t, clk, rec, Options{}) {
		t.Run(tq.name, func(t *testing.T) {
			q := tq.q
			defer func() { _ = q.Close() }()
			ctx := context.Background()
			for _, m := range []Message{{Payload: []byte("a"), MaxAge: time.Second}, {Payload: []byte("b"), MaxAge: 2 * time.Second}, {Payload: []byte("c")}} {
				_, err := q.Push(ctx, m)
				require.NoError(t, err)
			}
			clk.Tick(time.Second - time.Nanosecond)
			assert.Empty(t, rec.take(), "nothing before its deadline")
			clk.Tick(time.Nanosecond)
			assert.Equal(t, []dropRecord{{1, ReasonExpired, "a"}}, rec.take(), "at its deadline")
			n, size := q.Len()
			assert.Equal(t, [2]int64{2, 2}, [2]int64{int64(n), size}, "its room is freed")
			clk.Tick(time.Second)
			assert.Equal(t, []dropRecord{{2, ReasonExpired, "b"}}, rec.take())
			_, armed := clk.Armed()
			assert.False(t, armed, "no deadline left, no timer armed")
		})
	}
}

// TestExpiryTimerUnblocksPush: a Push blocked on a full queue proceeds when
// the timer drops an expired entry, without any other call.
func TestExpiryTimerUnblocksPush(t *testing.T) {
	q, clk, rec := newTestQueue(t, Options{MaxMessages: 1, Overflow: Block})
	push(t, q, "old", time.Second)
	hook, blocked := signal()
	q.waitHook = hook
	res := pushAsync(context.Background(), q, "new")
	<-blocked
	clk.Tick(time.Second)
	r := <-res
	require.NoError(t, r.err)
	assert.Equal(t, uint64(2), r.seq)
	assert.Equal(t, []dropRecord{{1, ReasonExpired, "old"}}, rec.take())
}

// TestExpiredUnacked: an entry handed out, rewound unacknowledged and then
// expired may have reached the peer: it is ReasonExpiredUnacked, whichever
// path drops it. One never handed out is ReasonExpired. The timer leaves
// entries in flight alone and is re-armed for them by Rewind.
func TestExpiredUnacked(t *testing.T) {
	q, clk, rec := newTestQueue(t, Options{})
	push(t, q, "sent", time.Second)
	push(t, q, "unsent", time.Second)
	require.Equal(t, []string{"sent"}, handOut(t, q, 1))
	clk.Tick(2 * time.Second)
	assert.Equal(t, []dropRecord{{2, ReasonExpired, "unsent"}}, rec.take(), "the one in flight is the consumer's")
	q.Rewind()
	at, armed := clk.Armed()
	require.True(t, armed, "Rewind arms the timer for what it made pending")
	assert.False(t, at.After(clk.Now()))
	clk.Tick(0)
	assert.Equal(t, []dropRecord{{1, ReasonExpiredUnacked, "sent"}}, rec.take())
	assert.Equal(t, "ExpiredUnacked", ReasonExpiredUnacked.String())

	// The lazy path of Next gives the same reason.
	push(t, q, "again", time.Second)
	require.Equal(t, []string{"again"}, handOut(t, q, 1))
	q.Rewind()
	clk.Advance(time.Second)
	assert.Empty(t, pendingPayloads(t, q))
	assert.Equal(t, []dropRecord{{3, ReasonExpiredUnacked, "again"}}, rec.take())
}

// TestFileInDoubtExpiresUnacked: an entry an earlier run marked with
// MarkSending counts as handed out: expiring after a restart, it is
// ReasonExpiredUnacked; an unmarked one is ReasonExpired. The removal is
// logged: neither comes back.
func TestFileInDoubtExpiresUnacked(t *testing.T) {
	clk, rec := newFakeClock(), &recorder{}
	opts := FileOptions{Options: Options{Now: clk.Now, afterFunc: clk.AfterFunc, OnDrop: rec.OnDrop}, Sync: SyncNever}
	f := openTestFile(t, tmpfsDir(t), opts)
	filePush(t, f, "marked", time.Hour)
	filePush(t, f, "later", time.Hour)
	require.NoError(t, f.MarkSending(1))
	f = reopen(t, f, opts)
	clk.Tick(time.Hour)
	assert.Equal(t, []dropRecord{{1, ReasonExpiredUnacked, "marked"}, {2, ReasonExpired, "later"}}, rec.take())
	f = reopen(t, f, opts)
	assert.Empty(t, fileHeld(t, f))
}

// TestExpiryTimerStopsOnClose: Close stops the timer, and a firing that
// Close overtook does nothing.
func TestExpiryTimerStopsOnClose(t *testing.T) {
	clk, rec := newFakeClock(), &recorder{}
	for _, tq := range timedQueues(t, clk, rec, Options{}) {
		t.Run(tq.name, func(t *testing.T) {
			_, err := tq.q.Push(context.Background(), Message{Payload: []byte("a"), MaxAge: time.Second})
			require.NoError(t, err)
			_, armed := clk.Armed()
			require.True(t, armed)
			require.NoError(t, tq.q.Close())
			_, armed = clk.Armed()
			assert.False(t, armed, "Close stops the timer")
			var c *core
			switch q := tq.q.(type) {
			case *Memory:
				c = &q.core
			case *File:
				c = &q.core
			}
			clk.Advance(time.Second)
			c.expire() // a firing already under way when Close ran
			assert.Empty(t, rec.take())
		})
	}
}

// TestExpiryTimerReal runs the real timer: with nobody calling the queue,
// the drop report arrives on its own. The test waits for that event; the
// lateness is logged, not asserted (shared machines are slow).
func TestExpiryTimerReal(t *testing.T) {
	for _, name := range []string{"Memory", "File"} {
		t.Run(name, func(t *testing.T) {
			dropped := make(chan time.Time, 1)
			var deadline time.Time
			o := Options{OnDrop: func(e Entry, why DropReason) {
				assert.Equal(t, ReasonExpired, why)
				deadline = e.Deadline
				dropped <- time.Now()
			}}
			var q Queue
			if name == "Memory" {
				q = NewMemory(o)
			} else {
				q = openTestFile(t, tmpfsDir(t), FileOptions{Options: o, Sync: SyncNever})
			}
			defer func() { _ = q.Close() }()
			_, err := q.Push(context.Background(), Message{Payload: []byte("x"), MaxAge: 20 * time.Millisecond})
			require.NoError(t, err)
			at := <-dropped
			assert.False(t, at.Before(deadline), "dropped before its deadline")
			n, _ := q.Len()
			assert.Zero(t, n)
			t.Logf("reported %v after its deadline", at.Sub(deadline))
		})
	}
}

// TestExpiryTimerBound drives random pushes, hand-outs, acks, rewinds and
// clock ticks, and requires after each tick that no pending entry is more
// than expiryGrain past its deadline, and of every expiry report that it
// came at or after the deadline, with the reason its history gives.
func TestExpiryTimerBound(t *testing.T) {
	for seed := range uint64(20) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 11))
			clk := newFakeClock()
			var mu sync.Mutex
			sent := map[uint64]bool{}
			var reports int
			q := NewMemory(Options{MaxMessages: 64, Overflow: Reject, Now: clk.Now, afterFunc: clk.AfterFunc, OnDrop: func(e Entry, why DropReason) {
				mu.Lock()
				defer mu.Unlock()
				reports++
				require.False(t, clk.Now().Before(e.Deadline), "seq %d dropped before its deadline", e.Seq)
				want := ReasonExpired
				if sent[e.Seq] {
					want = ReasonExpiredUnacked
				}
				require.Equal(t, want, why, "seq %d", e.Seq)
			}})
			defer func() { _ = q.Close() }()
			var seqs []uint64
			for step := range 2000 {
				switch op := rng.IntN(10); {
				case op < 4:
					msg := Message{Payload: []byte("m")}
					if rng.IntN(4) > 0 {
						msg.MaxAge = time.Duration(rng.IntN(50_000)) * time.Microsecond
					}
					seq, err := q.Push(context.Background(), msg)
					if err == nil {
						seqs = append(seqs, seq)
					}
				case op < 6:
					if e, ok := q.TryNext(); ok {
						mu.Lock()
						sent[e.Seq] = true
						mu.Unlock()
					}
				case op < 7 && len(seqs) > 0:
					require.NoError(t, q.Ack(seqs[rng.IntN(len(seqs))]))
				case op < 8:
					q.Rewind()
				default:
					clk.Tick(time.Duration(rng.IntN(30_000)) * time.Microsecond)
					requireNoneOverdue(t, q, clk.Now(), step)
				}
			}
			t.Logf("%d expiries reported", reports)
		})
	}
}

// requireNoneOverdue fails if a pending entry of q is expiryGrain or more
// past its deadline at now.
func requireNoneOverdue(t *testing.T, q *Memory, now time.Time, step int) {
	t.Helper()
	q.mu.Lock()
	defer q.mu.Unlock()
	for p := q.ring.cursor; p < q.ring.tail; p++ {
		if s := q.ring.at(p); s.live && s.e.Expired(now.Add(-expiryGrain)) {
			t.Fatalf("step %d: seq %d pending %v past its deadline", step, s.e.Seq, now.Sub(s.e.Deadline))
		}
	}
}
