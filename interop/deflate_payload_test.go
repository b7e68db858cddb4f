package interop

import (
	"fmt"
	"math/rand/v2"
	"unicode/utf8"
)

// Payloads for the permessage-deflate tests. Each is deterministic for a
// (size, seq) pair, so a sequence of them is "similar but not equal": what
// makes a shared compression context pay off.

// payloadKind is one kind of message content.
type payloadKind struct {
	name string
	op   byte
	gen  func(n, seq int) []byte
}

var (
	kindJSON      = payloadKind{"json-text", opText, jsonLike}
	kindPattern   = payloadKind{"pattern-binary", opBinary, patternBinary}
	kindRandom    = payloadKind{"random-binary", opBinary, randomBinary}
	kindUTF8Mixed = payloadKind{"random-utf8", opText, randomUTF8}
)

// jsonLike is n bytes of JSON-like text: order-book records with varying
// numbers, cut at n (so not always valid JSON, always valid UTF-8).
func jsonLike(n, seq int) []byte {
	r := rand.New(rand.NewPCG(uint64(seq), 0x5eed))
	b := fmt.Appendf(make([]byte, 0, n+128), `{"seq":%d,"type":"book","levels":[`, seq)
	for len(b) < n {
		side := "bid"
		if r.IntN(2) == 1 {
			side = "ask"
		}
		b = fmt.Appendf(b, `{"side":"%s","price":"%d.%02d","qty":%d,"venue":"XNAS"},`,
			side, 100+r.IntN(20), r.IntN(100), 1+r.IntN(5000))
	}
	return b[:n]
}

// patternBinary is binaryPayload with the sequence number in its first
// bytes.
func patternBinary(n, seq int) []byte {
	b := binaryPayload(n)
	for i := 0; i < 8 && i < n; i++ {
		b[i] = byte(seq >> (8 * i))
	}
	return b
}

// randomBinary is n incompressible bytes.
func randomBinary(n, seq int) []byte {
	r := rand.New(rand.NewPCG(uint64(seq), 0xbad5eed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// randomUTF8 is n bytes of random runes of every encoded length (1 to 4
// bytes), padded with ASCII to exactly n: after inflation, multi-byte
// sequences straddle every boundary the client's reads can have.
func randomUTF8(n, seq int) []byte {
	r := rand.New(rand.NewPCG(uint64(seq), 0x07f8))
	ranges := [][2]rune{{0x20, 0x7e}, {0xa0, 0x7ff}, {0x800, 0xd7ff}, {0xe000, 0xfffd}, {0x10000, 0x10ffff}}
	b := make([]byte, 0, n)
	for {
		rg := ranges[r.IntN(len(ranges))]
		c := rg[0] + rune(r.IntN(int(rg[1]-rg[0]+1)))
		if len(b)+utf8.RuneLen(c) > n {
			break
		}
		b = utf8.AppendRune(b, c)
	}
	for len(b) < n {
		b = append(b, 'a'+byte(len(b)%26))
	}
	return b
}
