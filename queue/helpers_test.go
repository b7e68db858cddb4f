package queue

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// newTestQueue returns a queue on a fake clock whose drops are recorded,
// closed when the test ends.
func newTestQueue(t *testing.T, opts Options) (*Memory, *fakeClock, *recorder) {
	t.Helper()
	clk, rec := newFakeClock(), &recorder{}
	if opts.Now == nil {
		opts.Now = clk.Now
	}
	if opts.afterFunc == nil {
		opts.afterFunc = clk.AfterFunc
	}
	if opts.OnDrop == nil {
		opts.OnDrop = rec.OnDrop
	}
	q := NewMemory(opts)
	t.Cleanup(func() { _ = q.Close() })
	return q, clk, rec
}

func push(t *testing.T, q *Memory, payload string, maxAge time.Duration) uint64 {
	t.Helper()
	seq, err := q.Push(context.Background(), Message{Type: 1, Payload: []byte(payload), MaxAge: maxAge})
	require.NoError(t, err)
	return seq
}

// handOut takes up to n entries through TryNext and returns their payloads.
func handOut(t *testing.T, q *Memory, n int) []string {
	t.Helper()
	var got []string
	for range n {
		e, ok := q.TryNext()
		if !ok {
			break
		}
		got = append(got, string(e.Payload))
	}
	return got
}

// pendingPayloads hands out everything pending.
func pendingPayloads(t *testing.T, q *Memory) []string {
	t.Helper()
	return handOut(t, q, 1<<30)
}

// held drains q and returns the payloads it held, in flight or not.
func held(t *testing.T, q *Memory) []string {
	t.Helper()
	var got []string
	require.NoError(t, q.Drain(func(e Entry) { got = append(got, string(e.Payload)) }))
	return got
}

// signal returns a hook that never blocks and a channel it signals on.
func signal() (func(), chan struct{}) {
	ch := make(chan struct{}, 1)
	return func() {
		select {
		case ch <- struct{}{}:
		default:
		}
	}, ch
}

// result of a call run in another goroutine.
type result struct {
	seq uint64
	e   Entry
	err error
}

func pushAsync(ctx context.Context, q *Memory, payload string) chan result {
	out := make(chan result, 1)
	go func() {
		seq, err := q.Push(ctx, Message{Type: 1, Payload: []byte(payload)})
		out <- result{seq: seq, err: err}
	}()
	return out
}

func nextAsync(ctx context.Context, q *Memory) chan result {
	out := make(chan result, 1)
	go func() {
		e, err := q.Next(ctx)
		out <- result{seq: e.Seq, e: e, err: err}
	}()
	return out
}

// checkRing verifies the ring's invariants; the property and fuzz tests
// call it after every operation, so it avoids testify's reflection.
func checkRing(t testing.TB, q *Memory) {
	t.Helper()
	q.mu.Lock()
	defer q.mu.Unlock()
	r := &q.ring
	check := func(ok bool, format string, args ...any) {
		if !ok {
			t.Fatalf("ring: "+format, args...)
		}
	}
	check(r.head <= r.cursor && r.cursor <= r.tail, "got head %d cursor %d tail %d, want ordered", r.head, r.cursor, r.tail)
	check(r.tail-r.head <= uint64(len(r.slots)), "got span %d, want at most %d slots", r.tail-r.head, len(r.slots))
	check(len(r.slots) <= r.limit, "got %d slots, want at most %d", len(r.slots), r.limit)
	if r.head < r.tail {
		check(r.at(r.head).live && r.at(r.tail-1).live, "got a hole at head or tail-1")
	}
	var count, inflight int
	var bytes, inflightBytes int64
	for p := r.head; p < r.tail; p++ {
		s := r.at(p)
		if p > r.head {
			check(s.e.Seq > r.at(p-1).e.Seq, "got seq %d after %d at %d, want increasing", s.e.Seq, r.at(p-1).e.Seq, p)
		}
		if !s.live {
			continue
		}
		count++
		bytes += int64(len(s.e.Payload))
		if p < r.cursor {
			inflight++
			inflightBytes += int64(len(s.e.Payload))
		}
	}
	check(count == r.count && bytes == r.bytes, "got count %d bytes %d, want %d %d", r.count, r.bytes, count, bytes)
	check(inflight == r.inflight && inflightBytes == r.inflightBytes,
		"got in flight %d bytes %d, want %d %d", r.inflight, r.inflightBytes, inflight, inflightBytes)
	check(r.count <= q.maxMessages && r.bytes <= q.maxBytes, "got %d messages %d bytes, over the limits", r.count, r.bytes)
}
