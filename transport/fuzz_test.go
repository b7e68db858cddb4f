package transport

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"unicode/utf8"
)

// FuzzParseHeader checks that any bytes either parse into a header that
// encodes back to the same bytes, or are refused, without panicking.
func FuzzParseHeader(f *testing.F) {
	for _, tc := range frameCases {
		f.Add(tc.wire)
	}
	f.Add([]byte{0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{0x82, 126, 0, 5})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, n, err := ParseHeader(b)
		if err != nil {
			return
		}
		if n < 2 || n > MaxHeaderSize || n > len(b) {
			t.Fatalf("header size %d out of range for %d bytes", n, len(b))
		}
		if h.Length < 0 {
			t.Fatalf("negative length %d", h.Length)
		}
		var out [MaxHeaderSize]byte
		m := PutHeader(out[:], h)
		if !bytes.Equal(out[:m], b[:n]) {
			t.Fatalf("re-encoding % x gave % x", b[:n], out[:m])
		}
	})
}

// FuzzReadMessage feeds arbitrary server bytes to a client Conn. Reading
// must end in messages or a typed error, never a panic, and never buffer
// more than the read limit.
func FuzzReadMessage(f *testing.F) {
	for _, v := range violations {
		f.Add(bytes.Join(v.stream, nil))
	}
	f.Add(frameBytes(true, 0, OpText, false, []byte("hello")))
	f.Add(append(frameBytes(false, 0, OpBinary, false, []byte("ab")),
		append(frameBytes(true, 0, OpPing, false, []byte("p")), frameBytes(true, 0, OpContinuation, false, []byte("cd"))...)...))
	f.Add(frameBytes(true, 0, OpClose, false, []byte{0x03, 0xe8, 'o', 'k'}))
	const limit = 4096
	f.Fuzz(func(t *testing.T, stream []byte) {
		mc := &memConn{in: bytes.NewReader(stream)}
		c := newConn(connConfig{nc: mc, client: true, readLimit: limit})
		defer c.CloseNow()
		var buf []byte
		for i := 0; i < 64; i++ {
			typ, msg, err := c.ReadInto(context.Background(), buf)
			if err != nil {
				var pe *ProtocolError
				var ce *CloseError
				if !errors.As(err, &pe) && !errors.As(err, &ce) {
					t.Fatalf("untyped error %T: %v", err, err)
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

// FuzzUTF8Validator compares the streaming validator with utf8.Valid for
// any input cut at any two points.
func FuzzUTF8Validator(f *testing.F) {
	for _, s := range utf8Cases {
		f.Add([]byte(s), uint8(1), uint8(2))
	}
	f.Fuzz(func(t *testing.T, b []byte, cut1, cut2 uint8) {
		i := min(int(cut1), len(b))
		j := min(max(int(cut2), i), len(b))
		var v utf8Validator
		got := v.write(b[:i]) && v.write(b[i:j]) && v.write(b[j:]) && v.complete()
		if want := utf8.Valid(b); got != want {
			t.Fatalf("%q cut at %d,%d: got %v, want %v", b, i, j, got, want)
		}
	})
}

// FuzzClosePayload checks that a parsed close payload holds a sendable code
// and a UTF-8 reason, and that errors carry the RFC's codes.
func FuzzClosePayload(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0x03})
	f.Add([]byte{0x03, 0xe8, 'o', 'k'})
	f.Add([]byte{0x03, 0xed})
	f.Add([]byte{0x03, 0xe8, 0xff})
	f.Fuzz(func(t *testing.T, p []byte) {
		code, reason, err := ParseClosePayload(p)
		if err != nil {
			var pe *ProtocolError
			if !errors.As(err, &pe) || (pe.Code != StatusProtocolError && pe.Code != StatusInvalidFramePayloadData) {
				t.Fatalf("got %v, want a 1002 or 1007 ProtocolError", err)
			}
			return
		}
		if len(p) == 0 {
			if code != StatusNoStatusReceived {
				t.Fatalf("empty payload gave %d", code)
			}
			return
		}
		if !validWireCode(code) || !utf8.ValidString(reason) {
			t.Fatalf("accepted code %d reason %q", code, reason)
		}
		if got := appendClosePayload(nil, code, reason); !bytes.Equal(got, p) {
			t.Fatalf("re-encoding gave % x, want % x", got, p)
		}
	})
}
