package queue

import (
	"bytes"
	"context"
	"fmt"
	"testing"
)

// benchCap is the capacity of both the queue and the channel it is
// compared with.
const benchCap = 1024

var benchSizes = []int{64, 1024}

// BenchmarkPushNextAck is the at-most-once steady state on one goroutine:
// queue a message, hand it out, acknowledge it. The channel runs beside it
// do the same work a caller of a bare channel must: copy the payload
// (chan-copy), or, for a lower bound with different ownership, not
// (chan-nocopy).
func BenchmarkPushNextAck(b *testing.B) {
	ctx := context.Background()
	for _, size := range benchSizes {
		b.Run(fmt.Sprintf("queue/%dB", size), func(b *testing.B) {
			q := NewMemory(Options{MaxMessages: benchCap})
			defer q.Close()
			msg := Message{Type: 2, Payload: make([]byte, size)}
			b.ReportAllocs()
			b.SetBytes(int64(size))
			for b.Loop() {
				if _, err := q.Push(ctx, msg); err != nil {
					b.Fatal(err)
				}
				e, err := q.Next(ctx)
				if err != nil {
					b.Fatal(err)
				}
				if err := q.Ack(e.Seq); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("chan-copy/%dB", size), func(b *testing.B) {
			ch := make(chan []byte, benchCap)
			payload := make([]byte, size)
			b.ReportAllocs()
			b.SetBytes(int64(size))
			for b.Loop() {
				ch <- bytes.Clone(payload)
				<-ch
			}
		})
		b.Run(fmt.Sprintf("chan-nocopy/%dB", size), func(b *testing.B) {
			ch := make(chan []byte, benchCap)
			payload := make([]byte, size)
			b.ReportAllocs()
			b.SetBytes(int64(size))
			for b.Loop() {
				ch <- payload
				<-ch
			}
		})
	}
}

// BenchmarkContended has 4×GOMAXPROCS producers pushing at once (Block
// policy) and one consumer handing out and acknowledging, as the client's
// writer does; beside it, a buffered channel of the same capacity carries
// the same traffic, copying the payload (chan-copy) or not (chan-nocopy).
// Four producers per processor keep it contended even on a 2-core machine.
func BenchmarkContended(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(fmt.Sprintf("queue/%dB", size), func(b *testing.B) {
			q := NewMemory(Options{MaxMessages: benchCap, Overflow: Block})
			defer q.Close()
			contend(b, size, func(payload []byte) error {
				_, err := q.Push(context.Background(), Message{Type: 2, Payload: payload})
				return err
			}, func(ctx context.Context) error {
				e, err := q.Next(ctx)
				if err == nil {
					err = q.Ack(e.Seq)
				}
				if err != nil {
					// Producers blocked on a full queue would wait
					// forever for this consumer: Close wakes them.
					_ = q.Close()
				}
				return err
			})
		})
		for _, clone := range []bool{true, false} {
			name := "chan-nocopy"
			if clone {
				name = "chan-copy"
			}
			b.Run(fmt.Sprintf("%s/%dB", name, size), func(b *testing.B) {
				ch := make(chan []byte, benchCap)
				contend(b, size, func(payload []byte) error {
					if clone {
						payload = bytes.Clone(payload)
					}
					ch <- payload
					return nil
				}, func(ctx context.Context) error {
					select {
					case <-ch:
						return nil
					case <-ctx.Done():
						return ctx.Err()
					}
				})
			})
		}
	}
}

// contend is the shape both sides of BenchmarkContended share: push runs
// b.N times in all, on 4×GOMAXPROCS goroutines, each with a payload of
// size bytes; take runs b.N times on one consumer goroutine, which the
// benchmark waits for. take must return ctx.Err() once ctx is done: ctx
// ends when a producer has failed, since fewer than b.N messages will then
// come and the consumer would otherwise wait for them forever.
func contend(b *testing.B, size int, push func(payload []byte) error, take func(ctx context.Context) error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		for range b.N {
			if err := take(ctx); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	b.ReportAllocs()
	b.SetBytes(int64(size))
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		payload := make([]byte, size)
		for pb.Next() {
			if err := push(payload); err != nil {
				b.Error(err)
				return
			}
		}
	})
	if b.Failed() {
		cancel()
	}
	if err := <-done; err != nil {
		b.Fatal(err)
	}
}

// TestSteadyStateAllocatesNothing pins the zero-allocation claim in a
// test, so a regression fails CI rather than waiting for someone to read
// benchmark output.
func TestSteadyStateAllocatesNothing(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		opts Options
		run  func(q *Memory, msg Message)
	}{
		{"push next ack", Options{}, func(q *Memory, msg Message) {
			_, _ = q.Push(ctx, msg)
			e, _ := q.Next(ctx)
			_ = q.Ack(e.Seq)
		}},
		{"cumulative ack after a flush", Options{}, func(q *Memory, msg Message) {
			for range 4 {
				_, _ = q.Push(ctx, msg)
			}
			e, _ := q.Next(ctx)
			for {
				next, ok := q.TryNext()
				if !ok {
					break
				}
				e = next
			}
			_ = q.AckThrough(e.Seq)
		}},
		{"drop oldest reported", Options{MaxMessages: 4, Overflow: DropOldest, OnDrop: func(Entry, DropReason) {}},
			func(q *Memory, msg Message) { _, _ = q.Push(ctx, msg) }},
		{"a release check between messages", Options{}, func(q *Memory, msg Message) {
			// The Client's heartbeat asks on every ping: a session that
			// sends between every two asks keeps its memory.
			_, _ = q.Push(ctx, msg)
			e, _ := q.Next(ctx)
			_ = q.Ack(e.Seq)
			if q.ReleaseIdle() {
				panic("released with a push since the last call")
			}
		}},
		{"replay after rewind", Options{}, func(q *Memory, msg Message) {
			_, _ = q.Push(ctx, msg)
			e, _ := q.Next(ctx)
			q.Rewind()
			e, _ = q.Next(ctx)
			_ = q.Ack(e.Seq)
		}},
	}
	for _, tt := range tests {
		for _, size := range benchSizes {
			t.Run(fmt.Sprintf("%s/%dB", tt.name, size), func(t *testing.T) {
				q := NewMemory(tt.opts)
				defer q.Close()
				msg := Message{Type: 2, Payload: make([]byte, size)}
				for range 16 { // warm up storage and the ring
					tt.run(q, msg)
				}
				if n := testing.AllocsPerRun(200, func() { tt.run(q, msg) }); n != 0 {
					t.Errorf("got %v allocs per run, want 0", n)
				}
			})
		}
	}
}
