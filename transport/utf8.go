package transport

import "unicode/utf8"

// utf8Validator checks a text message for valid UTF-8 as its bytes arrive,
// across frame and read boundaries. It fails on the first byte that cannot
// begin or continue a valid encoding (RFC 6455 §8.1 lets an endpoint fail
// fast; Autobahn 6.* expects it), not only at the end of the message.
//
// It holds at most one incomplete rune between calls; everything else is
// checked with utf8.Valid, which runs eight ASCII bytes at a time.
type utf8Validator struct {
	pend [utf8.UTFMax]byte
	n    int // bytes of an incomplete rune held in pend
}

func (v *utf8Validator) reset() { v.n = 0 }

// write validates p as the continuation of what came before. It returns
// false as soon as the bytes so far cannot be the prefix of valid UTF-8.
func (v *utf8Validator) write(p []byte) bool {
	if v.n > 0 {
		want := seqLen(v.pend[0])
		k := copy(v.pend[v.n:want], p)
		v.n += k
		p = p[k:]
		if v.n < want {
			return validPrefix(v.pend[:v.n])
		}
		if !utf8.Valid(v.pend[:v.n]) {
			return false
		}
		v.n = 0
	}
	// Hold back an incomplete rune at the end of p, if there is one.
	body := p
	for i := len(p) - 1; i >= 0 && i >= len(p)-(utf8.UTFMax-1); i-- {
		if p[i]&0xc0 == 0x80 {
			continue // continuation byte: keep looking for the start
		}
		if l := seqLen(p[i]); l > len(p)-i {
			body = p[:i]
			tail := p[i:]
			if !validPrefix(tail) {
				return false
			}
			v.n = copy(v.pend[:], tail)
		}
		break
	}
	return utf8.Valid(body)
}

// complete reports whether the message ended on a rune boundary.
func (v *utf8Validator) complete() bool { return v.n == 0 }

// seqLen is the length of the encoding that starts with b, or 0 when b
// cannot start one (a continuation byte, an overlong lead, or > U+10FFFF).
func seqLen(b byte) int {
	switch {
	case b < 0x80:
		return 1
	case b >= 0xc2 && b <= 0xdf:
		return 2
	case b >= 0xe0 && b <= 0xef:
		return 3
	case b >= 0xf0 && b <= 0xf4:
		return 4
	}
	return 0
}

// validPrefix reports whether the incomplete sequence p (a lead byte and
// fewer continuation bytes than it needs) can still become valid UTF-8.
// The second byte's range depends on the lead (Unicode Table 3-7), which is
// what rules out overlong forms, surrogates and code points past U+10FFFF
// before the rune is whole.
func validPrefix(p []byte) bool {
	if len(p) == 0 {
		return true
	}
	b0 := p[0]
	l := seqLen(b0)
	if l < 2 || len(p) >= l {
		return false
	}
	if len(p) >= 2 {
		lo, hi := byte(0x80), byte(0xbf)
		switch b0 {
		case 0xe0:
			lo = 0xa0
		case 0xed:
			hi = 0x9f
		case 0xf0:
			lo = 0x90
		case 0xf4:
			hi = 0x8f
		}
		if p[1] < lo || p[1] > hi {
			return false
		}
	}
	if len(p) >= 3 && p[2]&0xc0 != 0x80 {
		return false
	}
	return true
}
