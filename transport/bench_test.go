package transport

import (
	"context"
	"io"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var benchSizes = []int{64, 1 << 10, 1 << 20}

func sizeName(n int) string {
	switch {
	case n >= 1<<20:
		return strconv.Itoa(n>>20) + "MiB"
	case n >= 1<<10:
		return strconv.Itoa(n>>10) + "KiB"
	}
	return strconv.Itoa(n) + "B"
}

// BenchmarkWrite measures a client writing binary messages (masked, as a
// client must) to a connection that discards them.
func BenchmarkWrite(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(sizeName(n), func(b *testing.B) {
			c := newConn(connConfig{nc: &discardConn{}, client: true})
			defer c.CloseNow()
			msg := make([]byte, n)
			ctx := context.Background()
			b.SetBytes(int64(n))
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if err := c.Write(ctx, MessageBinary, msg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRead measures a client reading server messages into a reused
// buffer.
func BenchmarkRead(b *testing.B) {
	for _, n := range benchSizes {
		for _, typ := range []MessageType{MessageBinary, MessageText} {
			b.Run(sizeName(n)+"/"+typ.String(), func(b *testing.B) {
				payload := make([]byte, n)
				for i := range payload {
					payload[i] = 'a' + byte(i%26)
				}
				frame := frameBytes(true, 0, Opcode(typ), false, payload)
				c := newConn(connConfig{nc: &memConn{in: &repeatReader{data: frame}}, client: true})
				defer c.CloseNow() // its idle reader would outlive the benchmark
				buf := make([]byte, 0, n)
				ctx := context.Background()
				b.SetBytes(int64(n))
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					_, msg, err := c.ReadInto(ctx, buf)
					if err != nil {
						b.Fatal(err)
					}
					buf = msg
				}
			})
		}
	}
}

func BenchmarkMask(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(sizeName(n), func(b *testing.B) {
			buf := make([]byte, n)
			key := [4]byte{1, 2, 3, 4}
			b.SetBytes(int64(n))
			b.ReportAllocs()
			for range b.N {
				maskBytes(key, 1, buf)
			}
		})
	}
}

// TestHotPathsDoNotAllocate pins the zero-allocation claim in a plain test,
// so a regression fails CI rather than only showing in a benchmark.
func TestHotPathsDoNotAllocate(t *testing.T) {
	ctx := context.Background()
	w := newConn(connConfig{nc: &discardConn{}, client: true})
	defer w.CloseNow()
	msg := make([]byte, 1024)
	requireNoAllocs(t, "Write", func() error { return w.Write(ctx, MessageBinary, msg) })

	frame := frameBytes(true, 0, OpText, false, []byte("steady state"))
	r := newConn(connConfig{nc: &memConn{in: &repeatReader{data: frame}}, client: true})
	defer r.CloseNow()
	buf := make([]byte, 0, 64)
	requireNoAllocs(t, "ReadInto", func() (err error) {
		_, buf, err = r.ReadInto(ctx, buf)
		return err
	})
}

// requireNoAllocs runs f 100 times and requires that it never fails and
// never allocates. It keeps the first error rather than failing inside the
// measurement: a call that fails early would not take the hot path, and
// its zero allocations would prove nothing.
func requireNoAllocs(t *testing.T, what string, f func() error) {
	t.Helper()
	var first error
	a := testing.AllocsPerRun(100, func() {
		if err := f(); err != nil && first == nil {
			first = err
		}
	})
	require.NoError(t, first, what)
	assert.Zero(t, a, "%s: got %v allocs, want 0", what, a)
}

// BenchmarkEchoRoundTrip times a round trip of a 128-byte text message over
// loopback TCP, the client writing and then reading the echo, with the idle
// responder on (the default) and off: what answering pings for an absent
// reader costs a busy reader.
func BenchmarkEchoRoundTrip(b *testing.B) {
	for _, mode := range []struct {
		name   string
		noIdle bool
	}{{"idle", false}, {"noidle", true}} {
		b.Run(mode.name, func(b *testing.B) {
			cc, sc := connPair(b, connConfig{noIdleReads: mode.noIdle}, connConfig{noIdleReads: true})
			ctx := context.Background()
			go func() {
				buf := make([]byte, 0, 256)
				for {
					typ, p, err := sc.ReadInto(ctx, buf)
					if err != nil {
						return
					}
					if sc.Write(ctx, typ, p) != nil {
						return
					}
					buf = p
				}
			}()
			msg := make([]byte, 128)
			for i := range msg {
				msg[i] = 'a' + byte(i%26)
			}
			buf := make([]byte, 0, 256)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if err := cc.Write(ctx, MessageText, msg); err != nil {
					b.Fatal(err)
				}
				var err error
				if _, buf, err = cc.ReadInto(ctx, buf); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkWriteTCP measures a client writing binary messages over
// loopback TCP to a peer that reads and discards them, with a write
// timeout as the Client sets one: what the progress-measured deadline and
// fragmentation cost on the real path.
func BenchmarkWriteTCP(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(sizeName(n), func(b *testing.B) {
			a, p := tcpPair(b)
			go func() { _, _ = io.Copy(io.Discard, p) }()
			c := newConn(connConfig{nc: a, client: true, writeTimeout: 10 * time.Second, noIdleReads: true})
			defer c.CloseNow()
			msg := make([]byte, n)
			ctx := context.Background()
			b.SetBytes(int64(n))
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if err := c.Write(ctx, MessageBinary, msg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkWriteFragmentSize measures a client writing 1 MiB messages to a
// connection that discards them, with fragments of several sizes and none:
// what a fragment costs, for the choice of DefaultFragmentSize.
func BenchmarkWriteFragmentSize(b *testing.B) {
	for _, frag := range []int{4 << 10, 16 << 10, 32 << 10, 64 << 10, -1} {
		name := "off"
		if frag > 0 {
			name = sizeName(frag)
		}
		b.Run(name, func(b *testing.B) {
			c := newConn(connConfig{nc: &discardConn{}, client: true, fragmentSize: frag, noIdleReads: true})
			defer c.CloseNow()
			msg := make([]byte, 1<<20)
			ctx := context.Background()
			b.SetBytes(int64(len(msg)))
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if err := c.Write(ctx, MessageBinary, msg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
