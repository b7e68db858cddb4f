package queue

import (
	"bytes"
	"testing"
)

// fuzzSeeds are encoded records of every kind, whole, cut and damaged.
func fuzzSeeds() [][]byte {
	recs := []record{
		{kind: kindMark, seq: 7},
		{kind: kindPush, typ: 1, seq: 8, enqueued: 1767322245000000000, payload: []byte("hello")},
		{kind: kindPush, typ: 2, seq: 9, enqueued: 1, deadline: 2, payload: bytes.Repeat([]byte{0}, 40)},
		{kind: kindAck, seq: 8},
		{kind: kindAckThrough, seq: 9},
	}
	var log []byte
	var seeds [][]byte
	for i := range recs {
		b := appendRecord(nil, &recs[i])
		log = append(log, b...)
		seeds = append(seeds, b, b[:len(b)-1])
		bad := bytes.Clone(b)
		bad[len(bad)/2] ^= 0x40
		seeds = append(seeds, bad)
	}
	seeds = append(seeds, log, nil, make([]byte, recHeaderSize))
	return seeds
}

// FuzzFileRecord feeds the record decoder arbitrary bytes: it must never
// panic, and whatever it accepts must encode back to exactly the bytes it
// consumed, so nothing it reads is invented or lost.
func FuzzFileRecord(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, n, err := decodeRecord(b)
		if err != nil {
			verified := err == errShortRecord || err == errBadPayload
			if n != 0 && (!verified || n < recHeaderSize || (err == errBadPayload && n > len(b))) {
				t.Fatalf("got length %d with error %v", n, err)
			}
			if n != 0 {
				// A verified header: the same header re-encodes.
				h, herr := decodeHeader(b)
				if herr != nil || h.seq != r.seq || h.n != n-recHeaderSize {
					t.Fatalf("length %d from a header that does not verify: %v", n, herr)
				}
			}
			return
		}
		if n < recHeaderSize || n > len(b) {
			t.Fatalf("got length %d for %d bytes", n, len(b))
		}
		if again := appendRecord(nil, &r); !bytes.Equal(again, b[:n]) {
			t.Fatalf("re-encoded %x, want %x", again, b[:n])
		}
	})
}

// FuzzFileRecordScan feeds the recovery scanner arbitrary segment bytes:
// it must never panic; valid records and damage must tile the bytes it
// keeps, in order, and every valid record must decode where it was found.
func FuzzFileRecordScan(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, data []byte, last bool) {
		var sc scanner
		off, used := 0, 0 // where the next record or damage starts; damage met
		skip := func() {
			for used < len(sc.damage) && int(sc.damage[used].Offset) == off {
				if _, n, err := decodeRecord(data[off:]); err == nil && int64(n) == sc.damage[used].Length {
					// A valid record out of order: reported and visited.
					used++
					return
				}
				off += int(sc.damage[used].Length)
				used++
			}
		}
		keep := sc.scan(data, 0, "s", last, func(r *record) {
			skip()
			got, n, err := decodeRecord(data[off:])
			if err != nil || n != r.size() || got.seq != r.seq || got.kind != r.kind || !bytes.Equal(got.payload, r.payload) {
				t.Fatalf("record visited does not decode at %d: %v", off, err)
			}
			off += n
		})
		skip()
		if used != len(sc.damage) || off != len(data) {
			t.Fatalf("records and damage cover %d of %d bytes, %d of %d damages placed", off, len(data), used, len(sc.damage))
		}
		if keep > len(data) {
			t.Fatalf("keep %d of %d bytes", keep, len(data))
		}
		prev := int64(0)
		for i, d := range sc.damage {
			if d.Offset < prev || d.Length <= 0 || d.Offset+d.Length > int64(len(data)) {
				t.Fatalf("damage %d out of place: %+v after %d", i, d, prev)
			}
			if d.Kind == TornTail && (!last || i != len(sc.damage)-1 || d.Offset+d.Length != int64(len(data))) {
				t.Fatalf("torn tail not at the end of the last segment: %+v", d)
			}
			prev = d.Offset + d.Length
		}
		if keep < len(data) && (len(sc.damage) == 0 || int(sc.damage[len(sc.damage)-1].Offset) != keep) {
			t.Fatalf("keep %d without damage starting there", keep)
		}
	})
}
