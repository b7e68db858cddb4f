package queue

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBlockingPush(t *testing.T) {
	tests := []struct {
		name    string
		ctx     func() (context.Context, context.CancelFunc)
		unblock func(t *testing.T, q *Memory, clk *fakeClock, cancel context.CancelFunc)
		wantSeq uint64
		wantErr error
	}{
		{
			name: "cancelled",
			ctx:  func() (context.Context, context.CancelFunc) { return context.WithCancel(context.Background()) },
			unblock: func(_ *testing.T, _ *Memory, _ *fakeClock, cancel context.CancelFunc) {
				cancel()
			},
			wantErr: context.Canceled,
		},
		{
			name: "deadline",
			ctx: func() (context.Context, context.CancelFunc) {
				return context.WithTimeout(context.Background(), time.Millisecond)
			},
			unblock: func(*testing.T, *Memory, *fakeClock, context.CancelFunc) {},
			wantErr: context.DeadlineExceeded,
		},
		{
			name: "ack makes room",
			unblock: func(t *testing.T, q *Memory, _ *fakeClock, _ context.CancelFunc) {
				require.NoError(t, q.Ack(1))
			},
			wantSeq: 3,
		},
		{
			name: "cumulative ack makes room",
			unblock: func(t *testing.T, q *Memory, _ *fakeClock, _ context.CancelFunc) {
				require.NoError(t, q.AckThrough(2))
			},
			wantSeq: 3,
		},
		{
			name: "expiry at the cursor makes room",
			unblock: func(t *testing.T, q *Memory, clk *fakeClock, _ context.CancelFunc) {
				clk.Advance(time.Minute)
				assert.Equal(t, []string{"b"}, handOut(t, q, 1))
			},
			wantSeq: 3,
		},
		{
			name: "drain makes room",
			unblock: func(t *testing.T, q *Memory, _ *fakeClock, _ context.CancelFunc) {
				require.NoError(t, q.Drain(func(Entry) {}))
			},
			wantSeq: 3,
		},
		{
			name: "close",
			unblock: func(t *testing.T, q *Memory, _ *fakeClock, _ context.CancelFunc) {
				require.NoError(t, q.Close())
			},
			wantErr: ErrClosed,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, clk, _ := newTestQueue(t, Options{MaxMessages: 2, Overflow: Block})
			push(t, q, "a", time.Minute)
			push(t, q, "b", 0)
			hook, blocked := signal()
			q.waitHook = hook
			ctx, cancel := context.Background(), context.CancelFunc(func() {})
			if tt.ctx != nil {
				ctx, cancel = tt.ctx()
			}
			defer cancel()
			res := pushAsync(ctx, q, "c")
			<-blocked
			tt.unblock(t, q, clk, cancel)
			r := <-res
			if tt.wantErr != nil {
				require.ErrorIs(t, r.err, tt.wantErr)
			} else {
				require.NoError(t, r.err)
			}
			assert.Equal(t, tt.wantSeq, r.seq)
		})
	}
}

func TestBlockingPushManyProducers(t *testing.T) {
	q, _, _ := newTestQueue(t, Options{MaxMessages: 1, Overflow: Block})
	push(t, q, "first", 0)
	hook, blocked := signal()
	q.waitHook = hook
	const producers = 4
	results := make([]chan result, producers)
	for i := range results {
		results[i] = pushAsync(context.Background(), q, "p")
	}
	<-blocked
	got := map[uint64]bool{}
	// Each ack frees room for exactly one waiting producer.
	for range producers {
		e, err := q.Next(context.Background())
		require.NoError(t, err)
		require.NoError(t, q.Ack(e.Seq))
		got[e.Seq] = true
	}
	for _, res := range results {
		r := <-res
		require.NoError(t, r.err)
	}
	e, err := q.Next(context.Background())
	require.NoError(t, err)
	got[e.Seq] = true
	assert.Equal(t, map[uint64]bool{1: true, 2: true, 3: true, 4: true, 5: true}, got)
}

func TestBlockingNext(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(t *testing.T, q *Memory, clk *fakeClock)
		wake    func(t *testing.T, q *Memory, cancel context.CancelFunc)
		want    string
		wantErr error
		drops   []dropRecord
	}{
		{
			name: "push",
			wake: func(t *testing.T, q *Memory, _ context.CancelFunc) { push(t, q, "a", 0) },
			want: "a",
		},
		{
			name: "close",
			wake: func(t *testing.T, q *Memory, _ context.CancelFunc) {
				require.NoError(t, q.Close())
			},
			wantErr: ErrClosed,
		},
		{
			name:    "cancel",
			wake:    func(_ *testing.T, _ *Memory, cancel context.CancelFunc) { cancel() },
			wantErr: context.Canceled,
		},
		{
			name: "waits past expired entries",
			setup: func(t *testing.T, q *Memory, clk *fakeClock) {
				push(t, q, "old", time.Second)
				clk.Advance(time.Second)
			},
			wake:  func(t *testing.T, q *Memory, _ context.CancelFunc) { push(t, q, "new", 0) },
			want:  "new",
			drops: []dropRecord{{1, ReasonExpired, "old"}},
		},
		{
			name: "waits past what is in flight",
			setup: func(t *testing.T, q *Memory, _ *fakeClock) {
				push(t, q, "sent", 0)
				handOut(t, q, 1)
			},
			wake: func(t *testing.T, q *Memory, _ context.CancelFunc) { push(t, q, "new", 0) },
			want: "new",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, clk, rec := newTestQueue(t, Options{})
			if tt.setup != nil {
				tt.setup(t, q, clk)
			}
			hook, blocked := signal()
			q.waitHook = hook
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			res := nextAsync(ctx, q)
			<-blocked
			tt.wake(t, q, cancel)
			r := <-res
			if tt.wantErr != nil {
				require.ErrorIs(t, r.err, tt.wantErr)
			} else {
				require.NoError(t, r.err)
				assert.Equal(t, tt.want, string(r.e.Payload))
			}
			assert.Equal(t, tt.drops, rec.take())
		})
	}
}

func TestNextAfterCancelledWait(t *testing.T) {
	// A Next that gave up leaves the consumer flagged as waiting; the token
	// the next Push leaves must not confuse the Next after it.
	q, _, _ := newTestQueue(t, Options{})
	blocked := make(chan struct{}, 4)
	q.waitHook = func() { blocked <- struct{}{} }
	ctx, cancel := context.WithCancel(context.Background())
	res := nextAsync(ctx, q)
	<-blocked
	cancel()
	require.ErrorIs(t, (<-res).err, context.Canceled)

	push(t, q, "a", 0)
	e, err := q.Next(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "a", string(e.Payload))

	res = nextAsync(context.Background(), q)
	<-blocked // woken at once by the stale token,
	<-blocked // it finds nothing and waits again
	push(t, q, "b", 0)
	r := <-res
	require.NoError(t, r.err)
	assert.Equal(t, "b", string(r.e.Payload))
}

func TestMaxAgeIncludesTheWait(t *testing.T) {
	q, clk, rec := newTestQueue(t, Options{MaxMessages: 1, Overflow: Block})
	push(t, q, "a", 0)
	hook, blocked := signal()
	q.waitHook = hook
	res := make(chan error, 1)
	go func() {
		_, err := q.Push(context.Background(), Message{Payload: []byte("b"), MaxAge: time.Second})
		res <- err
	}()
	<-blocked
	clk.Advance(time.Second)
	require.NoError(t, q.Ack(1))
	require.NoError(t, <-res)
	assert.Empty(t, pendingPayloads(t, q), "b waited its whole MaxAge in Push")
	assert.Equal(t, []dropRecord{{2, ReasonExpired, "b"}}, rec.take())
}
