package client_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sturdyws/sturdy/client"
	"github.com/sturdyws/sturdy/transport"
)

// countingSink is a WebSocket server that reads and discards messages,
// telling the benchmark when it has read the number it waits for. It is
// the same for both sides of the comparison, so the ratio measures the
// sending side.
type countingSink struct {
	srv     *httptest.Server
	count   atomic.Int64
	target  atomic.Int64
	reached chan struct{}
	wg      sync.WaitGroup
}

func newCountingSink(b *testing.B) *countingSink {
	s := &countingSink{reached: make(chan struct{}, 1)}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := transport.Accept(w, r, nil)
		if err != nil {
			return
		}
		s.wg.Add(1)
		defer s.wg.Done()
		buf := make([]byte, 0, 1024)
		for {
			_, p, err := conn.ReadInto(context.Background(), buf)
			if err != nil {
				_ = conn.CloseNow()
				return
			}
			buf = p
			if s.count.Add(1) == s.target.Load() {
				s.reached <- struct{}{}
			}
		}
	}))
	b.Cleanup(func() {
		s.srv.CloseClientConnections()
		s.srv.Close()
		s.wg.Wait()
	})
	return s
}

func (s *countingSink) url() string { return "ws" + strings.TrimPrefix(s.srv.URL, "http") }

// expect makes the sink signal once it has read n more messages.
func (s *countingSink) expect(n int) { s.target.Store(s.count.Load() + int64(n)) }

// BenchmarkSend64 compares sending 64-byte messages through the Client,
// whose writer coalesces whatever is queued into one flush, with writing
// the same messages one by one through a transport.Conn (a system call
// each), as a program on a plain WebSocket library does. Each op is one
// message, timed until the server has read the last one.
func BenchmarkSend64(b *testing.B) {
	payload := make([]byte, 64)
	b.Run("Client", func(b *testing.B) {
		sink := newCountingSink(b)
		ctx := context.Background()
		c, err := client.Start(ctx, client.Options{URL: sink.url(), DisableHeartbeat: true})
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		if err := c.WaitConnected(ctx); err != nil {
			b.Fatal(err)
		}
		sink.expect(b.N)
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			if _, err := c.Send(ctx, transport.MessageBinary, payload); err != nil {
				b.Fatal(err)
			}
		}
		<-sink.reached
		b.StopTimer()
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	})
	b.Run("ConnWrite", func(b *testing.B) {
		sink := newCountingSink(b)
		ctx := context.Background()
		conn, _, err := transport.Dial(ctx, sink.url(), nil)
		if err != nil {
			b.Fatal(err)
		}
		defer conn.CloseNow()
		sink.expect(b.N)
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			if err := conn.Write(ctx, transport.MessageBinary, payload); err != nil {
				b.Fatal(err)
			}
		}
		<-sink.reached
		b.StopTimer()
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	})
}

// BenchmarkReceive compares the inbound path of a Client with a bare
// transport.Conn reading the same feed: a server writes numbered messages
// as fast as the connection takes them, and each op is one message read.
// "Client" releases every message (the zero-allocation way), "ClientKeep"
// keeps every payload (one allocation a message), "ClientMany" reads with
// ReadMany as bench/'s Client driver does, "Conn" reads into one reused
// buffer. Compare msgs/s, MB/s and cpu-ns/msg between them in one run
// (the server runs in the same process, so bench/ gives the cleaner
// CPU figure).
func BenchmarkReceive(b *testing.B) {
	for _, size := range []int{64, 1024, 1 << 20} {
		b.Run(sizeName(size), func(b *testing.B) {
			b.Run("Client", func(b *testing.B) { benchClientReceive(b, size, releaseEach) })
			b.Run("ClientKeep", func(b *testing.B) { benchClientReceive(b, size, keepEach) })
			b.Run("ClientMany", func(b *testing.B) { benchClientReceive(b, size, readMany) })
			b.Run("Conn", func(b *testing.B) { benchConnReceive(b, size) })
		})
	}
}

// reportRate reports msgs/s, and the CPU time the process spent per
// message since cpu0 (its server's included, which is the same for every
// variant of a comparison).
func reportRate(b *testing.B, cpu0 time.Duration) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	if cpu0 > 0 {
		b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/msg")
	}
}

func sizeName(n int) string {
	switch {
	case n >= 1<<20:
		return strconv.Itoa(n>>20) + "MiB"
	case n >= 1<<10:
		return strconv.Itoa(n>>10) + "KiB"
	}
	return strconv.Itoa(n) + "B"
}

// How benchClientReceive reads.
const (
	releaseEach = iota // Read, then Release
	keepEach           // Read, the payload kept
	readMany           // ReadMany, 64 slots passed back each call
)

func benchClientReceive(b *testing.B, size, mode int) {
	p := newPusher(b, size)
	ctx := context.Background()
	c, err := client.Start(ctx, client.Options{URL: p.url(), DisableHeartbeat: true, InboundPolicy: client.InboundWait})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	ms := make([]client.Inbound, 64)
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := processCPU()
	for i := 0; i < b.N; {
		if mode == readMany {
			n, err := c.ReadMany(ctx, ms[:min(len(ms), b.N-i)])
			if err != nil {
				b.Fatal(err)
			}
			i += n
			continue
		}
		m, err := c.Read(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if mode == releaseEach {
			c.Release(m)
		}
		i++
	}
	b.StopTimer()
	reportRate(b, cpu0)
}

func benchConnReceive(b *testing.B, size int) {
	p := newPusher(b, size)
	ctx := context.Background()
	conn, _, err := transport.Dial(ctx, p.url(), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.CloseNow()
	var buf []byte
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := processCPU()
	for range b.N {
		_, p, err := conn.ReadInto(ctx, buf)
		if err != nil {
			b.Fatal(err)
		}
		buf = p
	}
	b.StopTimer()
	reportRate(b, cpu0)
}
