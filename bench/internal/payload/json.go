package payload

import (
	"bytes"
	"fmt"
	"strconv"
)

// JSONRing is how many distinct JSON messages the compressed scenarios
// cycle through: message i is JSON(size, i%JSONRing). Both sides can then
// prepare them before the clock starts (the server compresses them ahead,
// the client generates them ahead), so neither measures the generator.
// With no context takeover the repetition is invisible to the
// compressors: every message is compressed on its own.
const JSONRing = 1024

// JSON returns a JSON-like text message of exactly size bytes (at least
// Min+8) for seq: an order-book update, `{"seq":"STAMP","levels":[...`,
// its sides, prices and quantities drawn from seq, cut at size. Similar
// from one message to the next, as a feed's updates are, and all ASCII.
func JSON(size int, seq uint64) []byte {
	b := make([]byte, 0, size+96)
	b = append(b, `{"seq":"`...)
	b = b[:len(b)+SeqSize]
	Stamp(b[len(b)-SeqSize:], seq)
	b = append(b, `","type":"book","levels":[`...)
	x := seq*0x9E3779B97F4A7C15 | 1
	for len(b) < size {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		side := "bid"
		if x&1 == 1 {
			side = "ask"
		}
		b = append(b, `{"side":"`+side+`","price":"`...)
		b = strconv.AppendUint(b, 100+x>>8%50, 10)
		b = append(b, '.')
		b = strconv.AppendUint(b, 10+x>>16%90, 10)
		b = append(b, `","qty":`...)
		b = strconv.AppendUint(b, 1+x>>24%5000, 10)
		b = append(b, `,"venue":"XNAS"},`...)
	}
	return b[:size]
}

// CheckJSON reports how p differs from JSON(size, seq).
func CheckJSON(p []byte, size int, seq uint64) error {
	want := JSON(size, seq)
	if !bytes.Equal(p, want) {
		return fmt.Errorf("message %d: %d bytes differ from the %d-byte JSON message", seq, len(p), size)
	}
	return nil
}
