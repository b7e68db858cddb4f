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

// BenchmarkContended has GOMAXPROCS producers pushing at once (Block
// policy) and one consumer handing out and acknowledging, as the client's
// writer does.
func BenchmarkContended(b *testing.B) {
	ctx := context.Background()
	for _, size := range benchSizes {
		b.Run(fmt.Sprintf("queue/%dB", size), func(b *testing.B) {
			q := NewMemory(Options{MaxMessages: benchCap, Overflow: Block})
			defer q.Close()
			done := make(chan error, 1)
			go func() {
				for range b.N {
					e, err := q.Next(ctx)
					if err != nil {
						done <- err
						return
					}
					_ = q.Ack(e.Seq)
				}
				done <- nil
			}()
			b.ReportAllocs()
			b.SetBytes(int64(size))
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				msg := Message{Type: 2, Payload: make([]byte, size)}
				for pb.Next() {
					if _, err := q.Push(ctx, msg); err != nil {
						b.Error(err)
						return
					}
				}
			})
			if err := <-done; err != nil {
				b.Fatal(err)
			}
		})
		for _, clone := range []bool{true, false} {
			name := "chan-nocopy"
			if clone {
				name = "chan-copy"
			}
			b.Run(fmt.Sprintf("%s/%dB", name, size), func(b *testing.B) {
				ch := make(chan []byte, benchCap)
				done := make(chan struct{})
				go func() {
					defer close(done)
					for range b.N {
						<-ch
					}
				}()
				b.ReportAllocs()
				b.SetBytes(int64(size))
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					payload := make([]byte, size)
					for pb.Next() {
						if clone {
							ch <- bytes.Clone(payload)
						} else {
							ch <- payload
						}
					}
				})
				<-done
			})
		}
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
