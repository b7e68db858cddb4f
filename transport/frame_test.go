package transport

import (
	"bytes"
	"math/rand/v2"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// frameCases is shared by the encode and decode tests: each row is a header
// and its exact wire form (RFC 6455 §5.2).
var frameCases = []struct {
	name string
	h    Header
	wire []byte
}{
	{"7-bit length", Header{Fin: true, Opcode: OpText, Length: 5}, []byte{0x81, 0x05}},
	{"7-bit max", Header{Fin: true, Opcode: OpBinary, Length: 125}, []byte{0x82, 125}},
	{"16-bit min", Header{Fin: true, Opcode: OpBinary, Length: 126}, []byte{0x82, 126, 0x00, 126}},
	{"16-bit max", Header{Opcode: OpContinuation, Length: 0xffff}, []byte{0x00, 126, 0xff, 0xff}},
	{"64-bit min", Header{Fin: true, Opcode: OpBinary, Length: 0x10000}, []byte{0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0}},
	{"64-bit large", Header{Fin: true, Opcode: OpBinary, Length: 1 << 40}, []byte{0x82, 127, 0, 0, 1, 0, 0, 0, 0, 0}},
	{"masked", Header{Fin: true, Opcode: OpPing, Masked: true, Mask: [4]byte{1, 2, 3, 4}, Length: 2}, []byte{0x89, 0x82, 1, 2, 3, 4}},
	{"rsv bits", Header{Fin: false, Rsv: 0x7, Opcode: OpText, Length: 0}, []byte{0x71, 0x00}},
	{"masked 64-bit", Header{Fin: true, Opcode: OpBinary, Masked: true, Mask: [4]byte{9, 8, 7, 6}, Length: 70000}, []byte{0x82, 0xff, 0, 0, 0, 0, 0, 1, 0x11, 0x70, 9, 8, 7, 6}},
}

func TestPutHeader(t *testing.T) {
	for _, tc := range frameCases {
		t.Run(tc.name, func(t *testing.T) {
			var b [MaxHeaderSize]byte
			n := PutHeader(b[:], tc.h)
			assert.Equal(t, tc.wire, b[:n], "got % x, want % x", b[:n], tc.wire)
		})
	}
}

func TestParseHeader(t *testing.T) {
	for _, tc := range frameCases {
		t.Run(tc.name, func(t *testing.T) {
			h, n, err := ParseHeader(append(tc.wire, 0xee)) // trailing payload byte ignored
			require.NoError(t, err)
			assert.Equal(t, len(tc.wire), n)
			assert.Equal(t, tc.h, h)
			for i := range len(tc.wire) {
				_, _, err := ParseHeader(tc.wire[:i])
				assert.ErrorIs(t, err, ErrShortHeader, "prefix of %d bytes", i)
			}
		})
	}
}

// RFC 6455 §5.2: the most significant bit of a 64-bit length must be 0, and
// the minimal number of bytes must encode a length.
func TestParseHeader_Section5_2_Length(t *testing.T) {
	cases := []struct {
		name string
		wire []byte
		want error
	}{
		{"64-bit MSB set", []byte{0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 1}, errLengthMSB},
		{"16-bit form for 125", []byte{0x82, 126, 0, 125}, errNonMinimalLength},
		{"64-bit form for 65535", []byte{0x82, 127, 0, 0, 0, 0, 0, 0, 0xff, 0xff}, errNonMinimalLength},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := ParseHeader(tc.wire)
			assert.ErrorIs(t, err, tc.want)
		})
	}
}

func TestOpcodeClasses(t *testing.T) {
	for op := Opcode(0); op < 16; op++ {
		reserved := (op >= 3 && op <= 7) || op >= 0xb
		assert.Equal(t, reserved, op.IsReserved(), "opcode %d", op)
		assert.Equal(t, op >= 8, op.IsControl(), "opcode %d", op)
	}
}

func naiveMask(key [4]byte, pos int, b []byte) {
	for i := range b {
		b[i] ^= key[(pos+i)%4]
	}
}

func TestMaskBytes(t *testing.T) {
	key := [4]byte{0xde, 0xad, 0xbe, 0xef}
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 200; n++ {
		for pos := range 4 {
			src := make([]byte, n)
			for i := range src {
				src[i] = byte(rng.Uint32())
			}
			want := bytes.Clone(src)
			naiveMask(key, pos, want)
			got := bytes.Clone(src)
			next := maskBytes(key, pos, got)
			require.Equal(t, want, got, "len %d pos %d", n, pos)
			require.Equal(t, (pos+n)%4, next)
			// Masking in two pieces gives the same result as in one.
			split := bytes.Clone(src)
			cut := n / 3
			p := maskBytes(key, pos, split[:cut])
			maskBytes(key, p, split[cut:])
			require.Equal(t, want, split, "split len %d pos %d", n, pos)
		}
	}
}

func TestMaskCopyLeavesSource(t *testing.T) {
	src := []byte("the caller's bytes must not change")
	orig := bytes.Clone(src)
	dst := make([]byte, len(src))
	maskCopy(dst, src, [4]byte{1, 2, 3, 4}, 0)
	assert.Equal(t, orig, src)
	naiveMask([4]byte{1, 2, 3, 4}, 0, dst)
	assert.Equal(t, orig, dst)
}

func TestKeySourceVaries(t *testing.T) {
	a, b := newKeySource(), newKeySource()
	seen := map[[4]byte]bool{}
	for range 64 {
		seen[a.next()] = true
	}
	assert.Greater(t, len(seen), 60, "keys of one source repeat")
	assert.NotEqual(t, a.next(), b.next(), "two connections share a key stream")
}

// utf8Cases holds inputs and whether they are valid UTF-8; the streaming
// validator is checked against utf8.Valid for every split point.
var utf8Cases = []string{
	"", "hello", "κόσμε", "\u00e9", "\u20ac", "\U0001F600", "a\U0010FFFFb",
	"\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xf5\x80\x80\x80",
	"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited",
	"\x80", "\xbf", "\xfe", "\xff", "\xe0\xa0", "\xf0\x90\x80", "abc\xe2\x82",
}

func TestUTF8Validator(t *testing.T) {
	for _, s := range utf8Cases {
		b := []byte(s)
		want := utf8.Valid(b)
		for cut := 0; cut <= len(b); cut++ {
			for cut2 := cut; cut2 <= len(b); cut2++ {
				var v utf8Validator
				ok := v.write(b[:cut]) && v.write(b[cut:cut2]) && v.write(b[cut2:]) && v.complete()
				require.Equal(t, want, ok, "%q split at %d,%d", s, cut, cut2)
			}
		}
	}
}

// Fail fast (RFC 6455 §8.1, Autobahn 6.*): an invalid prefix is reported
// as soon as it is seen, before the message ends.
func TestUTF8ValidatorFailsFast(t *testing.T) {
	for _, bad := range []string{"\xed\xa0", "\xf4\x90", "\xe0\x80", "\xc0", "\xf8"} {
		var v utf8Validator
		assert.False(t, v.write([]byte("ok "+bad)), "%q accepted as a prefix", bad)
	}
	var v utf8Validator
	assert.True(t, v.write([]byte("ok \xe2\x82")), "a valid incomplete prefix was refused")
	assert.False(t, v.complete())
}

func TestParseClosePayload_Section7_4(t *testing.T) {
	cases := []struct {
		name   string
		p      []byte
		code   StatusCode
		reason string
		fail   StatusCode
	}{
		{"empty means 1005", nil, StatusNoStatusReceived, "", 0},
		{"1000 no reason", []byte{0x03, 0xe8}, 1000, "", 0},
		{"1001 with reason", append([]byte{0x03, 0xe9}, "bye"...), 1001, "bye", 0},
		{"1012 registered", []byte{0x03, 0xf4}, 1012, "", 0},
		{"3000 library", []byte{0x0b, 0xb8}, 3000, "", 0},
		{"4999 private", []byte{0x13, 0x87}, 4999, "", 0},
		{"one byte", []byte{0x03}, 0, "", StatusProtocolError},
		{"999", []byte{0x03, 0xe7}, 0, "", StatusProtocolError},
		{"1004 reserved", []byte{0x03, 0xec}, 0, "", StatusProtocolError},
		{"1005 local only", []byte{0x03, 0xed}, 0, "", StatusProtocolError},
		{"1006 local only", []byte{0x03, 0xee}, 0, "", StatusProtocolError},
		{"1015 local only", []byte{0x03, 0xf7}, 0, "", StatusProtocolError},
		{"1016 unassigned", []byte{0x03, 0xf8}, 0, "", StatusProtocolError},
		{"2999 unassigned", []byte{0x0b, 0xb7}, 0, "", StatusProtocolError},
		{"5000", []byte{0x13, 0x88}, 0, "", StatusProtocolError},
		{"invalid UTF-8 reason", []byte{0x03, 0xe8, 0xff}, 0, "", StatusInvalidFramePayloadData},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, reason, err := ParseClosePayload(tc.p)
			if tc.fail != 0 {
				var pe *ProtocolError
				require.ErrorAs(t, err, &pe)
				assert.Equal(t, tc.fail, pe.Code)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.code, code)
			assert.Equal(t, tc.reason, reason)
		})
	}
}
