package transport

import (
	"bytes"
	"compress/flate"
	"context"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// deflated compresses msgs with one compress/flate writer, as a peer with
// context takeover would, and returns each message's payload with the
// sync marker stripped.
func deflated(msgs ...string) [][]byte {
	var out [][]byte
	var buf bytes.Buffer
	fw, _ := flate.NewWriter(&buf, flate.BestSpeed)
	for _, m := range msgs {
		buf.Reset()
		_, _ = fw.Write([]byte(m))
		_ = fw.Flush()
		out = append(out, bytes.Clone(bytes.TrimSuffix(buf.Bytes(), deflateTail[:])))
	}
	return out
}

// compressedFrame is a server frame (unmasked) with RSV1 set.
func compressedFrame(fin bool, op Opcode, payload []byte) []byte {
	return frameBytes(fin, rsv1, op, false, payload)
}

// deflateClient returns a client Conn reading stream, with
// permessage-deflate negotiated (context takeover both ways unless
// noTakeover).
func deflateClient(stream []byte, limit int64, noTakeover bool) *Conn {
	return newConn(connConfig{
		nc: &memConn{in: bytes.NewReader(stream)}, client: true, readLimit: limit,
		deflate: newDeflateConfig(DeflateParams{
			ServerNoContextTakeover: noTakeover, ClientMaxWindowBits: 15, ServerMaxWindowBits: 15,
		}, &CompressionOptions{}),
	})
}

// FuzzReadCompressed feeds arbitrary server bytes to a client Conn that
// negotiated permessage-deflate. Reading must end in messages or a typed
// error, never a panic; no message may pass the read limit once
// decompressed, and text must be valid UTF-8 after decompression.
func FuzzReadCompressed(f *testing.F) {
	m := deflated("hello hello hello", "hello again, hello", strings.Repeat("ab", 300))
	f.Add(bytes.Join([][]byte{
		compressedFrame(true, OpText, m[0]), compressedFrame(true, OpText, m[1]),
		frameBytes(true, 0, OpText, false, []byte("plain")),
		compressedFrame(false, OpBinary, m[2][:3]), frameBytes(true, 0, OpPing, false, []byte("p")),
		frameBytes(true, 0, OpContinuation, false, m[2][3:]),
	}, nil), false)
	f.Add(compressedFrame(true, OpText, bomb(1<<20)), true)
	f.Add(compressedFrame(true, OpText, []byte{0xff, 0xff, 0xff}), false)
	f.Add(compressedFrame(true, OpPing, nil), false)
	f.Add(append(frameBytes(false, 0, OpText, false, []byte("a")), compressedFrame(true, OpContinuation, m[0])...), false)
	f.Add(compressedFrame(true, OpText, deflated("\xed\xa0\x80")[0]), false)
	f.Add(compressedFrame(true, OpBinary, []byte{0x00}), true)
	const limit = 4096
	f.Fuzz(func(t *testing.T, stream []byte, noTakeover bool) {
		c := deflateClient(stream, limit, noTakeover)
		defer c.CloseNow()
		var buf []byte
		for range 64 {
			typ, msg, err := c.ReadInto(context.Background(), buf)
			if err != nil {
				var pe *ProtocolError
				var ce *CloseError
				if !errors.As(err, &pe) && !errors.As(err, &ce) {
					t.Fatalf("untyped error %T: %v", err, err)
				}
				if cap(buf) > limit || cap(msg) > limit {
					t.Fatalf("buffer grew to %d past the %d-byte limit", max(cap(buf), cap(msg)), limit)
				}
				return
			}
			if len(msg) > limit {
				t.Fatalf("message of %d bytes passed a %d-byte limit", len(msg), limit)
			}
			if typ == MessageText && !utf8.Valid(msg) {
				t.Fatalf("invalid UTF-8 delivered as text: %q", msg)
			}
			buf = msg
		}
	})
}

// FuzzParseExtensions checks the Sec-WebSocket-Extensions parser: what it
// accepts prints back to a canonical form that parses to the same thing,
// and neither side's negotiation panics on any header.
func FuzzParseExtensions(f *testing.F) {
	for _, s := range []string{
		"permessage-deflate",
		"permessage-deflate; client_max_window_bits",
		"permessage-deflate; server_max_window_bits=10; client_max_window_bits=\"12\", permessage-deflate",
		"permessage-deflate;server_no_context_takeover;client_no_context_takeover",
		"x-webkit-deflate-frame, permessage-deflate; client_max_window_bits=15",
		"foo; bar=\"a\\\"b\", , baz",
		"permessage-deflate; server_max_window_bits=08",
		"permessage-deflate; server_no_context_takeover; server_no_context_takeover",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		exts, err := parseExtensions([]string{s})
		_, _ = clientNegotiate([]string{s}, &CompressionOptions{ClientMaxWindowBits: 12, ServerMaxWindowBits: 10})
		resp, p := serverNegotiate([]string{s}, &CompressionOptions{})
		if p != nil {
			// The server's own answers must parse.
			if _, err := parseExtensions([]string{resp}); err != nil {
				t.Fatalf("server answered %q with unparsable %q", s, resp)
			}
		}
		if err != nil {
			return
		}
		again, err := parseExtensions([]string{formatExtensions(exts)})
		if err != nil {
			t.Fatalf("canonical form %q of %q does not parse: %v", formatExtensions(exts), s, err)
		}
		if !reflect.DeepEqual(exts, again) {
			t.Fatalf("%q parsed to %v, its canonical form to %v", s, exts, again)
		}
	})
}

// formatExtensions prints a parsed list in canonical form, quoting no
// value (they are all tokens once parsed).
func formatExtensions(exts []extension) string {
	var b strings.Builder
	for i, e := range exts {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(e.name)
		for _, p := range e.params {
			b.WriteString("; " + p.name)
			if p.hasValue {
				b.WriteString("=" + p.value)
			}
		}
	}
	return b.String()
}

// FuzzDeflateRoundTrip writes messages through a compressing client Conn
// and reads them back through a decompressing server Conn, for any
// messages and any negotiated parameters: what arrives must be what was
// sent, whichever messages went out compressed.
func FuzzDeflateRoundTrip(f *testing.F) {
	f.Add([]byte("hello hello hello hello\x00second message, hello\x00\x00third"), uint8(0), uint8(0))
	f.Add(bytes.Repeat([]byte("abcdefgh"), 200), uint8(3), uint8(9))
	f.Add([]byte(strings.Repeat("x", 300)+"\x00"+strings.Repeat("y", 100)), uint8(1), uint8(8))
	f.Fuzz(func(t *testing.T, data []byte, flags, bits uint8) {
		params := DeflateParams{
			ClientNoContextTakeover: flags&1 != 0,
			ServerNoContextTakeover: flags&2 != 0,
			ClientMaxWindowBits:     minWindowBits + int(bits)%8,
			ServerMaxWindowBits:     full,
		}
		opts := CompressionOptions{Threshold: int(flags>>2)%4*32 - 1, Level: int(flags>>4) % 10}
		msgs := bytes.Split(data, []byte{0})
		wire := &memConn{} // a silent peer
		w := newConn(connConfig{nc: wire, client: true, deflate: newDeflateConfig(params, &opts)})
		defer w.CloseNow()
		ctx := context.Background()
		for i, m := range msgs {
			var err error
			if i%3 == 2 {
				// Every third message goes through the streaming writer,
				// in two fragments.
				var mw io.WriteCloser
				if mw, err = w.Writer(ctx, MessageBinary); err == nil {
					_, _ = mw.Write(m[:len(m)/2])
					_, _ = mw.Write(m[len(m)/2:])
					err = mw.Close()
				}
			} else {
				err = w.Write(ctx, MessageBinary, m)
			}
			if err != nil {
				t.Fatalf("write %d: %v", i, err)
			}
		}
		r := newConn(connConfig{nc: &memConn{in: bytes.NewReader(wire.out.Bytes())}, client: false,
			deflate: newDeflateConfig(params, &opts)})
		for i, want := range msgs {
			_, got, err := r.Read(ctx)
			if err != nil {
				t.Fatalf("read %d: %v", i, err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("message %d: got %q, want %q", i, got, want)
			}
		}
	})
}
