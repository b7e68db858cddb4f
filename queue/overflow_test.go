package queue

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestOverflow(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name     string
		opts     Options
		setup    func(t *testing.T, q *Memory, clk *fakeClock)
		ctx      context.Context
		payload  string
		wantSeq  uint64
		wantErr  error
		wantDrop []dropRecord
		wantHeld []string
	}{
		{
			name:     "reject by count",
			opts:     Options{MaxMessages: 2, Overflow: Reject},
			setup:    pushAll("a", "b"),
			payload:  "c",
			wantErr:  ErrQueueFull,
			wantHeld: []string{"a", "b"},
		},
		{
			name:     "reject by bytes",
			opts:     Options{MaxBytes: 5, Overflow: Reject},
			setup:    pushAll("abc"),
			payload:  "def",
			wantErr:  ErrQueueFull,
			wantHeld: []string{"abc"},
		},
		{
			name:     "drop newest",
			opts:     Options{MaxMessages: 2, Overflow: DropNewest},
			setup:    pushAll("a", "b"),
			payload:  "c",
			wantErr:  ErrDropped,
			wantDrop: []dropRecord{{0, ReasonOverflowNewest, "c"}},
			wantHeld: []string{"a", "b"},
		},
		{
			name:     "drop oldest by count",
			opts:     Options{MaxMessages: 2, Overflow: DropOldest},
			setup:    pushAll("a", "b"),
			payload:  "c",
			wantSeq:  3,
			wantDrop: []dropRecord{{1, ReasonOverflowOldest, "a"}},
			wantHeld: []string{"b", "c"},
		},
		{
			name:    "drop oldest by bytes evicts as many as needed",
			opts:    Options{MaxBytes: 6, Overflow: DropOldest},
			setup:   pushAll("ab", "cd", "ef"),
			payload: "wxyz",
			wantSeq: 4,
			wantDrop: []dropRecord{
				{1, ReasonOverflowOldest, "ab"},
				{2, ReasonOverflowOldest, "cd"},
			},
			wantHeld: []string{"ef", "wxyz"},
		},
		{
			name: "drop oldest spares entries in flight",
			opts: Options{MaxMessages: 3, Overflow: DropOldest},
			setup: func(t *testing.T, q *Memory, _ *fakeClock) {
				pushAll("a", "b", "c")(t, q, nil)
				require.Equal(t, []string{"a"}, handOut(t, q, 1))
			},
			payload:  "d",
			wantSeq:  4,
			wantDrop: []dropRecord{{2, ReasonOverflowOldest, "b"}},
			wantHeld: []string{"a", "c", "d"},
		},
		{
			name: "drop oldest with everything in flight drops the new one",
			opts: Options{MaxMessages: 2, Overflow: DropOldest},
			setup: func(t *testing.T, q *Memory, _ *fakeClock) {
				pushAll("a", "b")(t, q, nil)
				require.Equal(t, []string{"a", "b"}, handOut(t, q, 2))
			},
			payload:  "c",
			wantErr:  ErrDropped,
			wantDrop: []dropRecord{{0, ReasonOverflowNewest, "c"}},
			wantHeld: []string{"a", "b"},
		},
		{
			name:     "block gives up with its context",
			opts:     Options{MaxMessages: 1, Overflow: Block},
			setup:    pushAll("a"),
			ctx:      cancelled,
			payload:  "b",
			wantErr:  context.Canceled,
			wantHeld: []string{"a"},
		},
		{
			name:     "block with room ignores a done context",
			opts:     Options{MaxMessages: 2, Overflow: Block},
			setup:    pushAll("a"),
			ctx:      cancelled,
			payload:  "b",
			wantSeq:  2,
			wantHeld: []string{"a", "b"},
		},
	}
	// Expired entries make room before any policy applies.
	for _, p := range []Policy{Block, Reject, DropOldest, DropNewest} {
		tests = append(tests, struct {
			name     string
			opts     Options
			setup    func(t *testing.T, q *Memory, clk *fakeClock)
			ctx      context.Context
			payload  string
			wantSeq  uint64
			wantErr  error
			wantDrop []dropRecord
			wantHeld []string
		}{
			name: "expired first under " + p.String(),
			opts: Options{MaxMessages: 2, Overflow: p},
			setup: func(t *testing.T, q *Memory, clk *fakeClock) {
				push(t, q, "a", time.Second)
				push(t, q, "b", time.Hour)
				clk.Advance(time.Second)
			},
			ctx:      cancelled,
			payload:  "c",
			wantSeq:  3,
			wantDrop: []dropRecord{{1, ReasonExpired, "a"}},
			wantHeld: []string{"b", "c"},
		})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, clk, rec := newTestQueue(t, tt.opts)
			tt.setup(t, q, clk)
			ctx := tt.ctx
			if ctx == nil {
				ctx = context.Background()
			}
			seq, err := q.Push(ctx, Message{Type: 2, Payload: []byte(tt.payload)})
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
			} else {
				require.NoError(t, err)
			}
			assert.Equal(t, tt.wantSeq, seq, "seq")
			assert.Equal(t, tt.wantDrop, rec.take(), "drops")
			assert.Equal(t, tt.wantHeld, held(t, q), "held")
		})
	}
}

func pushAll(payloads ...string) func(*testing.T, *Memory, *fakeClock) {
	return func(t *testing.T, q *Memory, _ *fakeClock) {
		for _, p := range payloads {
			push(t, q, p, 0)
		}
	}
}

func TestTooLarge(t *testing.T) {
	for _, p := range []Policy{Block, Reject, DropOldest, DropNewest} {
		t.Run(p.String(), func(t *testing.T) {
			q, _, rec := newTestQueue(t, Options{MaxBytes: 4, Overflow: p})
			_, err := q.Push(context.Background(), Message{Payload: []byte("12345")})
			var tl *TooLargeError
			require.ErrorAs(t, err, &tl)
			assert.Equal(t, 5, tl.Size)
			assert.Equal(t, int64(4), tl.Limit)
			assert.Contains(t, tl.Error(), "5 bytes")
			assert.Empty(t, rec.take(), "a refused message is the caller's, not a drop")
			assert.Equal(t, uint64(1), push(t, q, "1234", 0), "a refused message takes no seq")
		})
	}
}

func TestWithoutOnDrop(t *testing.T) {
	// Drops still happen and free their storage when nobody listens.
	for _, p := range []Policy{DropOldest, DropNewest} {
		t.Run(p.String(), func(t *testing.T) {
			clk := newFakeClock()
			q := NewMemory(Options{MaxMessages: 1, Overflow: p, Now: clk.Now, afterFunc: clk.AfterFunc})
			defer q.Close()
			ctx := context.Background()
			_, err := q.Push(ctx, Message{Payload: []byte("a"), MaxAge: time.Second})
			require.NoError(t, err)
			_, err = q.Push(ctx, Message{Payload: []byte("b")})
			if p == DropNewest {
				require.ErrorIs(t, err, ErrDropped)
			} else {
				require.NoError(t, err)
			}
			clk.Advance(time.Second)
			want := map[Policy]string{DropOldest: "b", DropNewest: ""}[p]
			got := strings.Join(pendingPayloads(t, q), "")
			assert.Equal(t, want, got)
		})
	}
}
