package transport

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

// feed is a cycle of JSON-like messages of about 1 KiB that share keys
// and structure, as an exchange or telemetry feed's do.
func feed(n int) [][]byte {
	msgs := make([][]byte, n)
	for i := range msgs {
		msgs[i] = jsonMessage(i, 1024)
	}
	return msgs
}

// compressedStream is msgs as server frames compressed with one context
// (or a fresh one per message with noTakeover). Looping over it is valid:
// the first message refers to nothing before it, and every later one only
// to the messages before it in the cycle, which precede it again on every
// pass.
func compressedStream(msgs [][]byte, noTakeover bool) []byte {
	var out []byte
	var strs []string
	for _, m := range msgs {
		strs = append(strs, string(m))
	}
	var z [][]byte
	if noTakeover {
		for _, s := range strs {
			z = append(z, deflated(s)[0])
		}
	} else {
		z = deflated(strs...)
	}
	for _, p := range z {
		out = append(out, compressedFrame(true, OpText, p)...)
	}
	return out
}

var deflateModes = []struct {
	name       string
	noTakeover bool
}{{"takeover", false}, {"no_takeover", true}}

// BenchmarkWriteCompressed measures a client compressing and writing 1 KiB
// JSON-like messages; wire/op is the compressed size.
func BenchmarkWriteCompressed(b *testing.B) {
	msgs := feed(64)
	for _, m := range deflateModes {
		b.Run(m.name, func(b *testing.B) {
			mc := &countConn{}
			c := newConn(connConfig{nc: mc, client: true,
				deflate: newDeflateConfig(DeflateParams{ClientNoContextTakeover: m.noTakeover,
					ClientMaxWindowBits: full, ServerMaxWindowBits: full}, &CompressionOptions{})})
			ctx := context.Background()
			b.SetBytes(1024)
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				if err := c.Write(ctx, MessageText, msgs[i%len(msgs)]); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(mc.n)/float64(b.N), "wire/op")
		})
	}
}

// BenchmarkReadCompressed measures a client reading and decompressing
// 1 KiB JSON-like messages into a reused buffer.
func BenchmarkReadCompressed(b *testing.B) {
	msgs := feed(64)
	for _, m := range deflateModes {
		b.Run(m.name, func(b *testing.B) {
			stream := compressedStream(msgs, m.noTakeover)
			c := newConn(connConfig{nc: &memConn{in: &repeatReader{data: stream}}, client: true,
				deflate: newDeflateConfig(DeflateParams{ServerNoContextTakeover: m.noTakeover,
					ClientMaxWindowBits: full, ServerMaxWindowBits: full}, &CompressionOptions{})})
			buf := make([]byte, 0, 2048)
			ctx := context.Background()
			b.SetBytes(1024)
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				_, msg, err := c.ReadInto(ctx, buf)
				if err != nil {
					b.Fatal(err)
				}
				if want := msgs[i%len(msgs)]; !bytes.Equal(msg, want) {
					b.Fatalf("message %d corrupted", i)
				}
				buf = msg
			}
			b.ReportMetric(float64(len(stream))/float64(len(msgs)), "wire/op")
		})
	}
}

// countConn is a net.Conn that counts and drops what is written to it.
type countConn struct {
	memConn
	n int
}

func (c *countConn) Write(p []byte) (int, error) {
	c.n += len(p)
	return len(p), nil
}

// TestDeflateHotPathsDoNotAllocate: once the compressor and decompressor
// exist, compressed messages cost no allocation either way.
func TestDeflateHotPathsDoNotAllocate(t *testing.T) {
	ctx := context.Background()
	msgs := feed(16)
	for _, m := range deflateModes {
		t.Run(m.name, func(t *testing.T) {
			params := DeflateParams{ClientNoContextTakeover: m.noTakeover, ServerNoContextTakeover: m.noTakeover,
				ClientMaxWindowBits: full, ServerMaxWindowBits: full}
			w := newConn(connConfig{nc: &discardConn{}, client: true, deflate: newDeflateConfig(params, &CompressionOptions{})})
			defer w.CloseNow()
			require.NoError(t, w.Write(ctx, MessageText, msgs[0]), "creating the compressor")
			i := 0
			requireNoAllocs(t, "compressed Write", func() error {
				i++
				return w.Write(ctx, MessageText, msgs[i%len(msgs)])
			})

			r := newConn(connConfig{nc: &memConn{in: &repeatReader{data: compressedStream(msgs, m.noTakeover)}}, client: true,
				deflate: newDeflateConfig(params, &CompressionOptions{})})
			defer r.CloseNow()
			_, buf, err := r.ReadInto(ctx, make([]byte, 0, 2048))
			require.NoError(t, err, "creating the decompressor")
			requireNoAllocs(t, "compressed ReadInto", func() (err error) {
				_, buf, err = r.ReadInto(ctx, buf)
				return err
			})
		})
	}
}
