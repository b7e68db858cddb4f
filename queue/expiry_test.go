package queue

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestExpiry(t *testing.T) {
	tests := []struct {
		name     string
		run      func(t *testing.T, q *Memory, clk *fakeClock) []string
		want     []string
		wantDrop []dropRecord
	}{
		{
			name: "expired entry is skipped by TryNext",
			run: func(t *testing.T, q *Memory, clk *fakeClock) []string {
				push(t, q, "a", time.Second)
				push(t, q, "b", 0)
				clk.Advance(time.Second)
				return pendingPayloads(t, q)
			},
			want:     []string{"b"},
			wantDrop: []dropRecord{{1, ReasonExpired, "a"}},
		},
		{
			name: "just before the deadline is not expired",
			run: func(t *testing.T, q *Memory, clk *fakeClock) []string {
				push(t, q, "a", time.Second)
				clk.Advance(time.Second - time.Nanosecond)
				return pendingPayloads(t, q)
			},
			want: []string{"a"},
		},
		{
			name: "no max age never expires",
			run: func(t *testing.T, q *Memory, clk *fakeClock) []string {
				push(t, q, "a", 0)
				push(t, q, "b", -time.Second)
				clk.Advance(1000 * time.Hour)
				return pendingPayloads(t, q)
			},
			want: []string{"a", "b"},
		},
		{
			name: "an entry in flight expires only after Rewind",
			run: func(t *testing.T, q *Memory, clk *fakeClock) []string {
				push(t, q, "a", time.Second)
				push(t, q, "b", time.Minute)
				require.Equal(t, []string{"a", "b"}, handOut(t, q, 2))
				clk.Advance(2 * time.Second)
				_, err := q.Push(context.Background(), Message{Payload: []byte("c")})
				require.ErrorIs(t, err, ErrQueueFull, "a full push must not sweep what the consumer holds")
				q.Rewind()
				return pendingPayloads(t, q)
			},
			want:     []string{"b"},
			wantDrop: []dropRecord{{1, ReasonExpiredUnacked, "a"}},
		},
		{
			name: "rewind lets a full push sweep what expired in flight",
			run: func(t *testing.T, q *Memory, clk *fakeClock) []string {
				push(t, q, "a", time.Second)
				push(t, q, "b", time.Second)
				require.Equal(t, []string{"a", "b"}, handOut(t, q, 2))
				clk.Advance(time.Second)
				q.Rewind()
				push(t, q, "c", 0) // MaxMessages is 2: needs the sweep
				return pendingPayloads(t, q)
			},
			want: []string{"c"},
			wantDrop: []dropRecord{
				{1, ReasonExpiredUnacked, "a"},
				{2, ReasonExpiredUnacked, "b"},
			},
		},
		{
			name: "sweep keeps the unexpired and finds later deadlines",
			run: func(t *testing.T, q *Memory, clk *fakeClock) []string {
				push(t, q, "a", time.Second)
				push(t, q, "b", 3*time.Second)
				clk.Advance(time.Second)
				push(t, q, "c", 0) // sweeps a
				clk.Advance(2 * time.Second)
				push(t, q, "d", 0) // sweeps b
				return pendingPayloads(t, q)
			},
			want: []string{"c", "d"},
			wantDrop: []dropRecord{
				{1, ReasonExpired, "a"},
				{2, ReasonExpired, "b"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, clk, rec := newTestQueue(t, Options{MaxMessages: 2, Overflow: Reject})
			assert.Equal(t, tt.want, tt.run(t, q, clk))
			assert.Equal(t, tt.wantDrop, rec.take())
		})
	}
}

func TestEntryCarriesDeadline(t *testing.T) {
	q, clk, _ := newTestQueue(t, Options{})
	start := clk.Now()
	push(t, q, "a", 30*time.Second)
	e, ok := q.TryNext()
	require.True(t, ok)
	assert.Equal(t, start, e.Enqueued)
	assert.Equal(t, start.Add(30*time.Second), e.Deadline)
	assert.False(t, e.Expired(start.Add(30*time.Second-1)))
	assert.True(t, e.Expired(start.Add(30*time.Second)))
	assert.False(t, Entry{}.Expired(start), "no deadline")
}
