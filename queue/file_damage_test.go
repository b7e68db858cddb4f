package queue

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// logRecord is one record of a reference log, where it lies.
type logRecord struct {
	seg    int // index into the segment list
	off    int
	size   int
	kind   uint8
	seq    uint64
	detail string // payload of a push
}

// referenceLog writes a small log over several segments, with individual
// and cumulative acks among the pushes, and returns its files and records.
func referenceLog(t *testing.T) (names []string, files [][]byte, recs []logRecord) {
	t.Helper()
	dir := t.TempDir()
	f := openTestFile(t, dir, FileOptions{Sync: SyncNever, SegmentBytes: 160})
	for i, p := range []string{"alpha", "b", "", "delta", "echo", "foxtrot", "g", "hotel"} {
		filePush(t, f, p, 0)
		switch i {
		case 2:
			require.NoError(t, f.Ack(2))
		case 4:
			require.NoError(t, f.AckThrough(1))
		case 6:
			require.NoError(t, f.Ack(6))
		}
	}
	require.NoError(t, f.Close())
	names, err := segmentNames(dir)
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(names), 3, "the log must span segments")
	for i, n := range names {
		data, err := os.ReadFile(filepath.Join(dir, n))
		require.NoError(t, err)
		files = append(files, data)
		for off := 0; off < len(data); {
			r, size, err := decodeRecord(data[off:])
			require.NoError(t, err)
			recs = append(recs, logRecord{seg: i, off: off, size: size, kind: r.kind, seq: r.seq, detail: string(r.payload)})
			off += size
		}
	}
	return names, files, recs
}

// replay is what the log's records mean, written as plainly as possible:
// the "seq:payload" of each message pushed and not removed, in order.
func replay(recs []logRecord, lost func(i int) bool) []string {
	var live []logRecord
	for i, r := range recs {
		if lost(i) {
			continue
		}
		switch r.kind {
		case kindPush:
			live = append(live, r)
		case kindAck:
			live = slices.DeleteFunc(live, func(l logRecord) bool { return l.seq == r.seq })
		case kindAckThrough:
			live = slices.DeleteFunc(live, func(l logRecord) bool { return l.seq <= r.seq })
		}
	}
	var out []string
	for _, l := range live {
		out = append(out, strconv.FormatUint(l.seq, 10)+":"+l.detail)
	}
	return out
}

// bounds returns the After and Before a damage over recs[from:to] must
// carry: the highest push or base number before, the first push after.
func bounds(recs []logRecord, from, to int) (after, before uint64) {
	for _, r := range recs[:from] {
		if r.kind == kindPush || r.kind == kindBase {
			after = max(after, r.seq)
		}
	}
	for _, r := range recs[to:] {
		if r.kind == kindPush {
			return after, r.seq
		}
	}
	return after, 0
}

// writeLog replaces the segment files of dir with files.
func writeLog(t *testing.T, dir string, names []string, files [][]byte) {
	t.Helper()
	require.NoError(t, os.RemoveAll(dir))
	require.NoError(t, os.MkdirAll(dir, 0o700))
	for i, n := range names {
		require.NoError(t, os.WriteFile(filepath.Join(dir, n), files[i], 0o600))
	}
}

// checkOpen opens dir and requires the entries and the one damage
// expected, then opens it again and requires the same entries and no
// damage: each damage is reported once.
func checkOpen(t *testing.T, dir string, want []string, damage *Damage, what string) {
	t.Helper()
	f, err := OpenFile(dir, FileOptions{Sync: SyncNever})
	require.NoError(t, err, what)
	rec := f.Recovery()
	got := fileHeld(t, f)
	require.NoError(t, f.Close())
	require.Equal(t, want, got, what)
	if damage == nil {
		require.Empty(t, rec.Damage, what)
	} else {
		require.Equal(t, []Damage{*damage}, rec.Damage, what)
	}
	f, err = OpenFile(dir, FileOptions{Sync: SyncNever})
	require.NoError(t, err, what)
	rec = f.Recovery()
	got = fileHeld(t, f)
	require.NoError(t, f.Close())
	require.Equal(t, want, got, what+", reopened")
	require.Empty(t, rec.Damage, what+", reopened")
}

// TestFileTruncatedAtEveryOffset cuts each segment of a small log at every
// length it can have: the records cut off are lost, reported as a torn
// tail in the last segment and as corruption elsewhere, and every other
// record is kept.
func TestFileTruncatedAtEveryOffset(t *testing.T) {
	names, files, recs := referenceLog(t)
	dir := filepath.Join(t.TempDir(), "q")
	for s := range names {
		last := s == len(names)-1
		for cut := 0; cut < len(files[s]); cut++ {
			damaged := slices.Clone(files)
			damaged[s] = files[s][:cut]
			writeLog(t, dir, names, damaged)

			first := slices.IndexFunc(recs, func(r logRecord) bool { return r.seg == s && r.off+r.size > cut })
			end := slices.IndexFunc(recs, func(r logRecord) bool { return r.seg > s })
			if end < 0 {
				end = len(recs)
			}
			want := replay(recs, func(i int) bool { return i >= first && i < end })
			var d *Damage
			if r := recs[first]; r.off != cut {
				d = &Damage{Kind: Corrupt, Segment: names[s], Offset: int64(r.off), Length: int64(cut - r.off)}
				if last {
					d.Kind = TornTail
				}
				d.Seq, _ = peekSeq(files[s][r.off:cut])
				d.After, d.Before = bounds(recs, first, end)
			}
			checkOpen(t, dir, want, d, names[s]+" cut at "+strconv.Itoa(cut))
		}
	}
}

// TestFileFlippedAtEveryOffset damages each byte of a small log in turn:
// exactly the record holding it is lost and reported, with its sequence
// number when that field survived, and every other record is kept.
func TestFileFlippedAtEveryOffset(t *testing.T) {
	names, files, recs := referenceLog(t)
	dir := filepath.Join(t.TempDir(), "q")
	for k, r := range recs {
		segEnd := k == len(recs)-1 || recs[k+1].seg != r.seg
		for o := r.off; o < r.off+r.size; o++ {
			damaged := slices.Clone(files)
			damaged[r.seg] = slices.Clone(files[r.seg])
			damaged[r.seg][o] ^= 0xff
			writeLog(t, dir, names, damaged)

			want := replay(recs, func(i int) bool { return i == k })
			d := &Damage{Kind: Corrupt, Segment: names[r.seg], Offset: int64(r.off), Length: int64(r.size)}
			if segEnd && r.seg == len(names)-1 {
				d.Kind = TornTail
			}
			d.Seq, _ = peekSeq(damaged[r.seg][r.off:])
			if o < r.off+10 || o >= r.off+18 {
				require.Equal(t, r.seq, d.Seq)
			}
			d.After, d.Before = bounds(recs, k, k+1)
			checkOpen(t, dir, want, d, names[r.seg]+" flipped at "+strconv.Itoa(o))
		}
	}
}
