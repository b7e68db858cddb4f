package client

import (
	"encoding/binary"
	"testing"
)

// FuzzConfirmedSeq: the only bytes the Client parses from the network
// itself are pong payloads. Anything but its own nine-byte confirmation
// must be refused, and a confirmation must give back its number.
func FuzzConfirmedSeq(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("c\x00\x00\x00\x00\x00\x00\x00\x01"))
	f.Add(binary.BigEndian.AppendUint64(nil, 7)) // a heartbeat ping number
	f.Add([]byte("c\xff\xff\xff\xff\xff\xff\xff\xff\x00"))
	f.Fuzz(func(t *testing.T, p []byte) {
		seq, ok := confirmedSeq(p)
		want := len(p) == 9 && p[0] == confirmTag
		if ok != want {
			t.Fatalf("confirmedSeq(%x) ok = %v, want %v", p, ok, want)
		}
		if ok && binary.BigEndian.Uint64(p[1:]) != seq {
			t.Fatalf("confirmedSeq(%x) = %d", p, seq)
		}
	})
}
