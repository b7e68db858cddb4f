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
// and cumulative acks among the pushes, closes it cleanly, and returns its
// files (META last) and records.
func referenceLog(t *testing.T) (names []string, files [][]byte, recs []logRecord) {
	t.Helper()
	dir := t.TempDir()
	f := openTestFile(t, dir, FileOptions{Sync: SyncNever, SegmentBytes: 200})
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
		for off := segHeaderSize; off < len(data); {
			r, size, err := decodeRecord(data[off:])
			require.NoError(t, err)
			recs = append(recs, logRecord{seg: i, off: off, size: size, kind: r.kind, seq: r.seq, detail: string(r.payload)})
			off += size
		}
	}
	m, err := os.ReadFile(filepath.Join(dir, metaName))
	require.NoError(t, err)
	return append(names, metaName), append(files, m), recs
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
// carry: the highest push number before, the first push after.
func bounds(recs []logRecord, from, to int) (after, before uint64) {
	for _, r := range recs[:from] {
		if r.kind == kindPush {
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

// writeLog replaces the files of dir with files.
func writeLog(t *testing.T, dir string, names []string, files [][]byte) {
	t.Helper()
	require.NoError(t, os.RemoveAll(dir))
	require.NoError(t, os.MkdirAll(dir, 0o700))
	for i, n := range names {
		if files[i] != nil {
			require.NoError(t, os.WriteFile(filepath.Join(dir, n), files[i], 0o600))
		}
	}
}

// checkOpen opens dir, requires the entries expected and lets check judge
// the damage reported; then opens it again and requires the same entries
// and no damage: each damage is reported once.
func checkOpen(t *testing.T, dir string, want []string, check func([]Damage), what string) {
	t.Helper()
	f, err := OpenFile(dir, FileOptions{Sync: SyncNever})
	require.NoError(t, err, what)
	rec := f.Recovery()
	got := fileHeld(t, f)
	require.NoError(t, f.Close())
	require.Equal(t, want, got, what)
	check(rec.Damage)
	f, err = OpenFile(dir, FileOptions{Sync: SyncNever})
	require.NoError(t, err, what)
	rec = f.Recovery()
	got = fileHeld(t, f)
	require.NoError(t, f.Close())
	require.Equal(t, want, got, what+", reopened")
	require.Empty(t, rec.Damage, what+", reopened")
}

// TestFileTruncatedAtEveryOffset cuts each segment of a cleanly closed log
// at every length it can have: the records cut off are lost, every other
// record is kept, and the cut is reported as Lost in that segment, with
// the bytes missing (the next segment's header, or META for the newest,
// records each segment's length), preceded by the partial record when the
// cut fell inside one.
func TestFileTruncatedAtEveryOffset(t *testing.T) {
	names, files, recs := referenceLog(t)
	dir := filepath.Join(t.TempDir(), "q")
	segs := len(names) - 1
	for s := range segs {
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
			what := names[s] + " cut at " + strconv.Itoa(cut)
			checkOpen(t, dir, want, func(ds []Damage) {
				require.NotEmpty(t, ds, what)
				lost := ds[len(ds)-1]
				require.Equal(t, Damage{Kind: Lost, Segment: names[s], Offset: int64(cut), Length: int64(len(files[s]) - cut), After: lost.After, Before: lost.Before}, lost, what)
				if first >= 0 && first < end {
					after, before := bounds(recs, first, end)
					require.LessOrEqual(t, lost.After, after, what)
					require.Equal(t, before, lost.Before, what)
				}
				for _, d := range ds[:len(ds)-1] {
					require.Equal(t, names[s], d.Segment, what)
					require.Less(t, d.Offset, int64(cut), what)
				}
			}, what)
		}
	}
}

// TestFileFlippedAtEveryOffset damages each byte of a small log in turn:
// exactly the record holding it is lost and reported as Corrupt (never
// TornTail, even in the complete last record), with its sequence number,
// and every other record is kept. A flipped segment header is Corrupt and
// costs no record.
func TestFileFlippedAtEveryOffset(t *testing.T) {
	names, files, recs := referenceLog(t)
	dir := filepath.Join(t.TempDir(), "q")
	for k, r := range recs {
		for o := r.off; o < r.off+r.size; o++ {
			damaged := slices.Clone(files)
			damaged[r.seg] = slices.Clone(files[r.seg])
			damaged[r.seg][o] ^= 0xff
			writeLog(t, dir, names, damaged)

			want := replay(recs, func(i int) bool { return i == k })
			d := Damage{Kind: Corrupt, Segment: names[r.seg], Offset: int64(r.off), Length: int64(r.size), Seq: r.seq}
			d.After, d.Before = bounds(recs, k, k+1)
			if o >= r.off+16 && o < r.off+24 {
				d.Seq, _ = peekSeq(damaged[r.seg][r.off:]) // the number itself was hit
			}
			what := names[r.seg] + " flipped at " + strconv.Itoa(o)
			checkOpen(t, dir, want, func(ds []Damage) { require.Equal(t, []Damage{d}, ds, what) }, what)
		}
	}
	for s := range len(names) - 1 {
		for o := range segHeaderSize {
			damaged := slices.Clone(files)
			damaged[s] = slices.Clone(files[s])
			damaged[s][o] ^= 0x01
			writeLog(t, dir, names, damaged)
			what := names[s] + " header flipped at " + strconv.Itoa(o)
			checkOpen(t, dir, replay(recs, func(int) bool { return false }), func(ds []Damage) {
				require.Len(t, ds, 1, what)
				require.Equal(t, Corrupt, ds[0].Kind, what)
				require.Equal(t, Damage{Kind: Corrupt, Segment: names[s], Length: segHeaderSize, After: ds[0].After, Before: ds[0].Before}, ds[0], what)
			}, what)
		}
	}
}
