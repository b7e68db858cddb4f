package client

import (
	"context"
	"testing"
)

// BenchmarkInboxHandoff measures the inbox alone between two goroutines,
// as the Client uses it, with 64-byte payloads from the pool: a pusher
// handing messages over one at a time (as the reader did before it
// batched) or in batches of 32 (a read buffer's worth), and a reader that
// takes each message and releases its payload. Each op is one message.
// The pusher outruns the reader, so the inbox (256, InboundWait) is
// mostly full, as under a flood the program cannot keep up with.
func BenchmarkInboxHandoff(b *testing.B) {
	for _, bc := range []struct {
		name  string
		batch int
	}{{"OneByOne", 1}, {"Batch32", 32}} {
		b.Run(bc.name, func(b *testing.B) {
			in := newInbox(256, 32<<20, InboundWait)
			done := make(chan struct{})
			go func() {
				defer close(done)
				held := make([]Inbound, 0, bc.batch)
				var sp spares
				for i := 0; i < b.N; {
					for range min(bc.batch, b.N-i) {
						p := sp.take(&in.pool)
						if p == nil {
							p = make([]byte, 64)
						}
						held = append(held, Inbound{Payload: p[:64]})
						i++
					}
					for ms := held; len(ms) > 0; {
						n, _ := in.add(ms, false)
						if ms = ms[n:]; len(ms) > 0 {
							if err := in.push(context.Background(), ms[0]); err != nil {
								panic(err)
							}
							ms = ms[1:]
						}
					}
					clear(held)
					held = held[:0]
					sp.settle(&in.pool)
				}
			}()
			b.ReportAllocs()
			for range b.N {
				m, ok, err := in.next(context.Background(), nil)
				if !ok || err != nil {
					b.Fatal(ok, err)
				}
				in.pool.put(m.Payload)
			}
			<-done
		})
	}
}
