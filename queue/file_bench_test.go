package queue

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

// benchQueues are the queues compared by the benchmarks below, in one
// run: the Memory ring and a File under each sync policy, on the test's
// temporary directory (a real disk, where an fsync costs what it costs).
func benchQueues(b *testing.B) []struct {
	name string
	open func() Queue
} {
	file := func(p SyncPolicy) func() Queue {
		return func() Queue {
			f, err := OpenFile(b.TempDir(), FileOptions{Sync: p})
			if err != nil {
				b.Fatal(err)
			}
			return f
		}
	}
	return []struct {
		name string
		open func() Queue
	}{
		{"Memory", func() Queue { return NewMemory(Options{}) }},
		{"File/SyncNever", file(SyncNever)},
		{"File/SyncInterval", file(SyncInterval)},
		{"File/SyncAlways", file(SyncAlways)},
	}
}

// BenchmarkFilePushAck is one producer pushing a 128-byte message, the
// writer taking it and acknowledging it: the at-least-once round trip.
func BenchmarkFilePushAck(b *testing.B) {
	for _, q := range benchQueues(b) {
		b.Run(q.name, func(b *testing.B) {
			qu := q.open()
			defer func() { _ = qu.Close() }()
			ctx := context.Background()
			msg := Message{Type: 2, Payload: make([]byte, 128)}
			b.ReportAllocs()
			b.SetBytes(int64(len(msg.Payload)))
			for b.Loop() {
				if _, err := qu.Push(ctx, msg); err != nil {
					b.Fatal(err)
				}
				e, ok := qu.TryNext()
				if !ok {
					b.Fatal("nothing to take")
				}
				if err := qu.Ack(e.Seq); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkFileMarkSending is BenchmarkFilePushAck with AtMostOnce's
// writer in it: the entry is marked with MarkSending before it is acked,
// so the difference between the two is what the in-doubt mark costs.
func BenchmarkFileMarkSending(b *testing.B) {
	for _, p := range []SyncPolicy{SyncNever, SyncInterval, SyncAlways} {
		b.Run(p.String(), func(b *testing.B) {
			f, err := OpenFile(b.TempDir(), FileOptions{Sync: p})
			if err != nil {
				b.Fatal(err)
			}
			defer func() { _ = f.Close() }()
			ctx := context.Background()
			msg := Message{Type: 2, Payload: make([]byte, 128)}
			b.ReportAllocs()
			b.SetBytes(int64(len(msg.Payload)))
			for b.Loop() {
				if _, err := f.Push(ctx, msg); err != nil {
					b.Fatal(err)
				}
				e, ok := f.TryNext()
				if !ok {
					b.Fatal("nothing to take")
				}
				if err := f.MarkSending(e.Seq); err != nil {
					b.Fatal(err)
				}
				if err := f.Ack(e.Seq); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkFilePushParallel is many producers pushing at once while the
// acks come from the writer's side in batches, as after a server's
// cumulative ack. Under SyncAlways the concurrent pushes share fsyncs.
func BenchmarkFilePushParallel(b *testing.B) {
	for _, q := range benchQueues(b) {
		b.Run(q.name, func(b *testing.B) {
			qu := q.open()
			defer func() { _ = qu.Close() }()
			ctx := context.Background()
			b.ReportAllocs()
			b.SetBytes(128)
			b.SetParallelism(8)
			b.RunParallel(func(pb *testing.PB) {
				msg := Message{Type: 2, Payload: make([]byte, 128)}
				for pb.Next() {
					seq, err := qu.Push(ctx, msg)
					if err != nil {
						b.Error(err)
						return
					}
					if seq%64 == 0 {
						if err := qu.AckThrough(seq); err != nil {
							b.Error(err)
							return
						}
					}
				}
			})
		})
	}
}

// TestFileSteadyStateAllocatesNothing: once warm, a push, its hand-out,
// its in-doubt mark, its acknowledgement and a ReleaseIdle (which finds
// the push, and keeps everything) allocate nothing under any sync policy, segment
// included. (Starting a segment allocates, once per SegmentBytes; rolls
// are exercised elsewhere.)
func TestFileSteadyStateAllocatesNothing(t *testing.T) {
	for _, p := range []SyncPolicy{SyncAlways, SyncInterval, SyncNever} {
		t.Run(p.String(), func(t *testing.T) {
			f := openTestFile(t, tmpfsDir(t), FileOptions{Sync: p})
			ctx := context.Background()
			msg := Message{Type: 2, Payload: make([]byte, 100)}
			cycle := func() {
				if _, err := f.Push(ctx, msg); err != nil {
					t.Fatal(err)
				}
				e, ok := f.TryNext()
				if !ok {
					t.Fatal("nothing to take")
				}
				if err := f.MarkSending(e.Seq); err != nil {
					t.Fatal(err)
				}
				if err := f.Ack(e.Seq); err != nil {
					t.Fatal(err)
				}
				if f.ReleaseIdle() { // the heartbeat's check keeps it all
					t.Fatal("released with a push since the last call")
				}
			}
			for range 200 {
				cycle()
			}
			allocs := testing.AllocsPerRun(1000, cycle)
			require.Zero(t, allocs, "got %.2f allocations per message", allocs)
		})
	}
}
