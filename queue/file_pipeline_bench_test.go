package queue

import (
	"context"
	"errors"
	"sync"
	"testing"
)

// BenchmarkFilePipeline is the client's shape on a durable queue: eight
// producers pushing 128-byte messages at once, and a writer taking them
// with Next and acknowledging every 64th cumulatively. Under SyncAlways
// the writer gets an entry only once it is fsynced, and concurrent pushes
// share fsyncs: this is the throughput that costs.
func BenchmarkFilePipeline(b *testing.B) {
	for _, p := range []SyncPolicy{SyncNever, SyncInterval, SyncAlways} {
		b.Run(p.String(), func(b *testing.B) {
			f, err := OpenFile(b.TempDir(), FileOptions{Sync: p})
			if err != nil {
				b.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			wg.Go(func() {
				for {
					e, err := f.Next(ctx)
					if err != nil {
						if !errors.Is(err, context.Canceled) && !errors.Is(err, ErrClosed) {
							b.Error(err)
						}
						return
					}
					if e.Seq%64 == 0 {
						_ = f.AckThrough(e.Seq)
					}
				}
			})
			b.ReportAllocs()
			b.SetBytes(128)
			b.SetParallelism(4) // 8 producers on 2 cores
			b.RunParallel(func(pb *testing.PB) {
				msg := Message{Type: 2, Payload: make([]byte, 128)}
				for pb.Next() {
					if _, err := f.Push(ctx, msg); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			cancel()
			wg.Wait()
			_ = f.Close()
		})
	}
}
