package transport

import (
	"bufio"
	"bytes"
	"compress/flate"
	"context"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// deflateCfg is a connConfig with permessage-deflate negotiated as p.
func deflateCfg(p DeflateParams, o CompressionOptions) connConfig {
	if p.ClientMaxWindowBits == 0 {
		p.ClientMaxWindowBits = full
	}
	if p.ServerMaxWindowBits == 0 {
		p.ServerMaxWindowBits = full
	}
	return connConfig{deflate: newDeflateConfig(p, &o)}
}

// inflateAll decompresses one message's payload with a fresh
// decompressor, as a peer without the sender's earlier context would.
func inflateAll(payload []byte) ([]byte, error) {
	fr := flate.NewReader(io.MultiReader(bytes.NewReader(payload), bytes.NewReader(deflateTail[:])))
	var out bytes.Buffer
	_, err := io.Copy(&out, fr)
	if err == io.ErrUnexpectedEOF {
		err = nil // the stream goes on after a sync flush
	}
	return out.Bytes(), err
}

// TestDeflateViolations_Section6 checks the frames RFC 7692 §6 and
// RFC 6455 forbid with compression negotiated, and the close code each
// gets.
func TestDeflateViolations_Section6(t *testing.T) {
	good := deflated("hello")[0]
	tests := []struct {
		name    string
		deflate bool
		stream  [][]byte
		code    StatusCode
	}{
		{"RSV1 without negotiation", false, [][]byte{compressedFrame(true, OpText, good)}, StatusProtocolError},
		{"RSV1 on ping", true, [][]byte{frameBytes(true, rsv1, OpPing, false, nil)}, StatusProtocolError},
		{"RSV1 on pong", true, [][]byte{frameBytes(true, rsv1, OpPong, false, nil)}, StatusProtocolError},
		{"RSV1 on close", true, [][]byte{frameBytes(true, rsv1, OpClose, false, []byte{0x03, 0xe8})}, StatusProtocolError},
		{"RSV1 on continuation", true, [][]byte{compressedFrame(false, OpText, good[:2]),
			compressedFrame(true, OpContinuation, good[2:])}, StatusProtocolError},
		{"RSV1 on continuation of plain message", true, [][]byte{frameBytes(false, 0, OpText, false, []byte("a")),
			compressedFrame(true, OpContinuation, good)}, StatusProtocolError},
		{"RSV2", true, [][]byte{frameBytes(true, 0x2, OpText, false, []byte("a"))}, StatusProtocolError},
		{"RSV1 and RSV3", true, [][]byte{frameBytes(true, rsv1|0x1, OpText, false, good)}, StatusProtocolError},
		{"corrupt data: reserved block type", true, [][]byte{compressedFrame(true, OpBinary, []byte{0xff, 0xff, 0xff})}, StatusInvalidFramePayloadData},
		{"corrupt data: bad stored length", true, [][]byte{compressedFrame(true, OpBinary, []byte{0x00, 0x05, 0x00, 0x00, 0x00})}, StatusInvalidFramePayloadData},
		{"corrupt data: distance before the start", true, [][]byte{compressedFrame(true, OpBinary, []byte{0x03, 0x02})}, StatusInvalidFramePayloadData},
		{"data ends inside a block", true, [][]byte{compressedFrame(true, OpText, []byte{0x4a, 0x4c, 0x4a, 0x4e, 0x49}) /* "abcdefgh"x100 at level 6, cut after 5 bytes */}, StatusInvalidFramePayloadData},
		{"invalid UTF-8 once inflated", true, [][]byte{compressedFrame(true, OpText, deflated("ok \xed\xa0\x80 bad")[0])}, StatusInvalidFramePayloadData},
		{"text ends mid-rune once inflated", true, [][]byte{compressedFrame(true, OpText, deflated("ok \xe2\x82")[0])}, StatusInvalidFramePayloadData},
		{"over the limit once inflated", true, [][]byte{compressedFrame(true, OpBinary, bomb(2000))}, StatusMessageTooBig},
		{"over the limit once inflated, fragmented", true, [][]byte{compressedFrame(false, OpBinary, bomb(2000)[:3]),
			frameBytes(true, 0, OpContinuation, false, bomb(2000)[3:])}, StatusMessageTooBig},
		{"compressed frame larger than any message within the limit", true,
			[][]byte{compressedFrame(true, OpBinary, make([]byte, compressedLimit(1024)+1))}, StatusMessageTooBig},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := connConfig{}
			if tc.deflate {
				cfg = deflateCfg(DeflateParams{}, CompressionOptions{})
			}
			cfg.readLimit = 1024
			cc, raw := rawServer(t, cfg)
			go func() {
				for _, b := range tc.stream {
					if _, err := raw.Write(b); err != nil {
						return
					}
				}
			}()
			_, _, err := cc.Read(context.Background())
			var pe *ProtocolError
			require.ErrorAs(t, err, &pe, "got %v", err)
			assert.Equal(t, tc.code, pe.Code, "got %v", err)
			expectClose(t, bufio.NewReader(raw), tc.code)
		})
	}
}

// TestDeflateLimitExact: a compressed message exactly at the read limit
// is delivered; one byte more is not.
func TestDeflateLimitExact(t *testing.T) {
	for _, n := range []int{1024, 1025} {
		msg := strings.Repeat("z", n)
		cfg := deflateCfg(DeflateParams{}, CompressionOptions{})
		cfg.readLimit = 1024
		cc, raw := rawServer(t, cfg)
		go func() { _, _ = raw.Write(compressedFrame(true, OpText, deflated(msg)[0])) }()
		_, got, err := cc.Read(context.Background())
		if n <= 1024 {
			require.NoError(t, err)
			assert.Equal(t, msg, string(got))
			assert.LessOrEqual(t, cap(got), 1024)
		} else {
			assert.Equal(t, StatusMessageTooBig, CloseStatus(err))
		}
	}
}

// zeroBomb returns a compressed message that inflates to mib MiB of
// zeros, built from one compressed MiB repeated: every MiB after the
// first compresses to the same bytes, since it only refers back to zeros.
func zeroBomb(mib int) []byte {
	var buf bytes.Buffer
	fw, _ := flate.NewWriter(&buf, flate.BestCompression)
	zeros := make([]byte, 1<<20)
	_, _ = fw.Write(zeros)
	_ = fw.Flush()
	first := bytes.Clone(buf.Bytes())
	buf.Reset()
	_, _ = fw.Write(zeros)
	_ = fw.Flush()
	next := buf.Bytes()
	out := append(first, bytes.Repeat(next, mib-1)...)
	return bytes.TrimSuffix(out, deflateTail[:])
}

// TestDeflateBomb: a message that inflates far past the read limit fails
// with 1009 once the limit is reached, having allocated about the limit
// and no more, however much the message would inflate to.
func TestDeflateBomb(t *testing.T) {
	tests := []struct {
		name    string
		payload []byte
		limit   int64
	}{
		// DEFLATE tops out near 1:1030, so 1 KiB inflates to 1 MiB.
		{"1 KiB to 1 MiB, limit 64 KiB", bomb(1 << 20), 64 << 10},
		{"1 MiB to 1 GiB, limit 4 MiB", zeroBomb(1 << 10), 4 << 20},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Logf("payload %d bytes", len(tc.payload))
			frame := compressedFrame(true, OpBinary, tc.payload)
			c := deflateClient(frame, tc.limit, false)
			defer c.CloseNow()
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			_, msg, err := c.ReadInto(context.Background(), nil)
			runtime.ReadMemStats(&after)
			assert.Equal(t, StatusMessageTooBig, CloseStatus(err), "got %v", err)
			assert.LessOrEqual(t, int64(cap(msg)), tc.limit)
			// The limit, plus the decompressor (about 80 KiB, once per
			// connection) and the doubling of the buffer on its way there.
			alloc := int64(after.TotalAlloc - before.TotalAlloc)
			t.Logf("allocated %d bytes for a %d-byte limit", alloc, tc.limit)
			assert.Less(t, alloc, 2*tc.limit+256<<10)

			// Streamed through Reader into a fixed buffer, the cost is the
			// decompressor alone, whatever the limit.
			c = deflateClient(frame, tc.limit, false)
			defer c.CloseNow()
			buf := make([]byte, 4096)
			runtime.GC()
			runtime.ReadMemStats(&before)
			_, r, err := c.Reader(context.Background())
			require.NoError(t, err)
			for err == nil {
				_, err = r.Read(buf)
			}
			runtime.ReadMemStats(&after)
			assert.Equal(t, StatusMessageTooBig, CloseStatus(err), "got %v", err)
			alloc = int64(after.TotalAlloc - before.TotalAlloc)
			t.Logf("streamed: allocated %d bytes", alloc)
			assert.Less(t, alloc, int64(256<<10))
		})
	}
}

// TestDeflateFromPeer reads messages a peer compressed with context
// takeover, fragmented and with a ping between fragments, then a message
// ended with a BFINAL block, then one that is not compressed.
func TestDeflateFromPeer(t *testing.T) {
	msgs := []string{strings.Repeat("sturdy ", 100), strings.Repeat("sturdy ", 120), "short", strings.Repeat("é", 3000)}
	z := deflated(msgs...)
	var final bytes.Buffer
	fw, _ := flate.NewWriter(&final, flate.DefaultCompression)
	_, _ = fw.Write([]byte("the end, the end"))
	_ = fw.Close()

	cc, raw := rawServer(t, deflateCfg(DeflateParams{}, CompressionOptions{}))
	var pongs []string
	go func() {
		var b []byte
		b = append(b, compressedFrame(true, OpText, z[0])...)
		b = append(b, compressedFrame(false, OpText, z[1][:4])...)
		b = append(b, frameBytes(true, 0, OpPing, false, []byte("p1"))...)
		b = append(b, frameBytes(false, 0, OpContinuation, false, z[1][4:9])...)
		b = append(b, frameBytes(true, 0, OpContinuation, false, z[1][9:])...)
		b = append(b, compressedFrame(true, OpText, z[2])...)
		for i := 0; i < len(z[3]); i += 100 {
			fin := i+100 >= len(z[3])
			op := OpContinuation
			rsv := byte(0)
			if i == 0 {
				op, rsv = OpText, rsv1
			}
			b = append(b, frameBytes(fin, rsv, op, false, z[3][i:min(i+100, len(z[3]))])...)
		}
		b = append(b, compressedFrame(true, OpBinary, final.Bytes())...)
		b = append(b, frameBytes(true, 0, OpText, false, []byte("plain"))...)
		_, _ = raw.Write(b)
	}()
	ctx := context.Background()
	for _, want := range append(msgs, "the end, the end", "plain") {
		_, got, err := cc.Read(ctx)
		require.NoError(t, err)
		require.Equal(t, want, string(got))
	}
	h, p := readFrame(t, bufio.NewReader(raw))
	pongs = append(pongs, string(p))
	assert.Equal(t, OpPong, h.Opcode)
	assert.Equal(t, []string{"p1"}, pongs)
}

// TestDeflateSenderContext checks the frames a client sends: with context
// takeover a repeated message refers back and shrinks; without it (asked
// by the server, or offered by the client) every message inflates on its
// own; and with a window below 15 bits only messages within the window are
// compressed, each on its own.
func TestDeflateSenderContext(t *testing.T) {
	msg := jsonMessage(7, 2000)
	tests := []struct {
		name        string
		params      DeflateParams
		msg         []byte
		compressed  bool
		independent bool
	}{
		{"takeover", DeflateParams{}, msg, true, false},
		{"client_no_context_takeover", DeflateParams{ClientNoContextTakeover: true}, msg, true, true},
		{"window 9, message over it", DeflateParams{ClientMaxWindowBits: 9}, msg, false, true},
		{"window 9, message within it", DeflateParams{ClientMaxWindowBits: 9}, msg[:512], true, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cc, raw := rawServer(t, deflateCfg(tc.params, CompressionOptions{}))
			ctx := context.Background()
			br := bufio.NewReader(raw)
			var sizes []int
			for range 3 {
				require.NoError(t, cc.Write(ctx, MessageText, tc.msg))
				h, p := readFrame(t, br)
				require.True(t, h.Fin)
				assert.Equal(t, tc.compressed, h.Rsv == rsv1, "RSV1")
				sizes = append(sizes, len(p))
				if !tc.compressed {
					assert.Equal(t, tc.msg, p)
					continue
				}
				got, err := inflateAll(p)
				if tc.independent {
					require.NoError(t, err)
					assert.Equal(t, tc.msg, got)
				}
			}
			if tc.compressed && !tc.independent {
				assert.Less(t, sizes[1], sizes[0]/4, "a repeat refers back to the first")
			}
			if tc.independent {
				assert.Equal(t, sizes[0], sizes[2])
			}
		})
	}
}

// TestDeflateThreshold: below the threshold messages go out plain.
func TestDeflateThreshold(t *testing.T) {
	cc, raw := rawServer(t, deflateCfg(DeflateParams{}, CompressionOptions{Threshold: 100}))
	br := bufio.NewReader(raw)
	for _, n := range []int{99, 100} {
		require.NoError(t, cc.Write(context.Background(), MessageBinary, make([]byte, n)))
		h, _ := readFrame(t, br)
		assert.Equal(t, n >= 100, h.Rsv == rsv1, "message of %d bytes", n)
	}
}

// TestDeflateStreamingFrames: the streaming Writer sets RSV1 on the first
// frame only, and the fragments together inflate to the message.
func TestDeflateStreamingFrames(t *testing.T) {
	cc, raw := rawServer(t, deflateCfg(DeflateParams{}, CompressionOptions{}))
	msg := jsonMessage(3, 320000)
	errc := make(chan error, 1)
	go func() {
		w, err := cc.Writer(context.Background(), MessageBinary)
		if err == nil {
			for i := 0; i < len(msg) && err == nil; i += 50000 {
				_, err = w.Write(msg[i:min(i+50000, len(msg))])
			}
		}
		if err == nil {
			err = w.Close()
		}
		errc <- err
	}()
	br := bufio.NewReader(raw)
	var payload []byte
	for i := 0; ; i++ {
		h, p := readFrame(t, br)
		if i == 0 {
			assert.Equal(t, OpBinary, h.Opcode)
			assert.Equal(t, byte(rsv1), h.Rsv)
		} else {
			assert.Equal(t, OpContinuation, h.Opcode)
			assert.Zero(t, h.Rsv)
		}
		payload = append(payload, p...)
		if h.Fin {
			assert.Positive(t, i, "a 320 KB message comes in several frames")
			break
		}
	}
	require.NoError(t, <-errc)
	got, err := inflateAll(payload)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(msg, got))

	// An empty streamed message goes out as one plain empty frame.
	w, err := cc.Writer(context.Background(), MessageText)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	h, p := readFrame(t, br)
	assert.True(t, h.Fin)
	assert.Zero(t, h.Rsv)
	assert.Empty(t, p)
}
