package queue

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The damage matrix: logs written by random pushes, acknowledgements and
// marks, closed cleanly, then damaged the ways disks, operators and power
// cuts damage files, in the first, a middle and the last segment, over
// many seeds. After each OpenFile it requires: no silent loss (a message
// pushed and not acknowledged is restored, or a damage report covers its
// number); no silent resurrection (a message acknowledged does not come
// back unless a damage report lies after its push); no repeated number
// (the next push is numbered above every number given out before).

// matrixLog is a log written for the matrix and what its writer knows.
type matrixLog struct {
	names []string // segment files, in order
	files map[string][]byte
	given uint64          // the highest number given out
	acked map[uint64]bool // acknowledged, one by one or cumulatively
	held  map[uint64]bool // pushed and not acknowledged
}

func writeMatrixLog(t *testing.T, seed uint64) *matrixLog {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 19))
	dir := tmpfsDir(t)
	f := openTestFile(t, dir, FileOptions{Sync: SyncNever, SegmentBytes: int64(150 + rng.IntN(250))})
	ml := &matrixLog{files: map[string][]byte{}, acked: map[uint64]bool{}, held: map[uint64]bool{}}
	var held []uint64
	ops := 100 + rng.IntN(100)
	for i := 0; i < ops || len(f.log.segs) < 3; i++ {
		switch r := rng.IntN(10); {
		case r < 2 && len(held) > 0:
			i := rng.IntN(len(held))
			require.NoError(t, f.Ack(held[i]))
			ml.acked[held[i]] = true
			delete(ml.held, held[i])
			held = slices.Delete(held, i, i+1)
		case r < 3 && len(held) > 0:
			i := rng.IntN(len(held))
			require.NoError(t, f.AckThrough(held[i]))
			for _, s := range held[:i+1] {
				ml.acked[s] = true
				delete(ml.held, s)
			}
			held = held[i+1:]
		case r < 4 && len(held) > 0:
			require.NoError(t, f.MarkSending(held[len(held)-1]))
		default:
			seq := filePush(t, f, strconv.Itoa(int(ml.given+1))+":"+strings.Repeat("m", rng.IntN(60)), 0)
			ml.given = seq
			ml.held[seq] = true
			held = append(held, seq)
		}
	}
	require.NoError(t, f.Close())
	names, err := segmentNames(dir)
	require.NoError(t, err)
	ml.names = names
	for _, n := range append(slices.Clone(names), metaName) {
		b, err := os.ReadFile(filepath.Join(dir, n))
		require.NoError(t, err)
		ml.files[n] = b
	}
	return ml
}

// recordBounds returns the offsets where the records of a segment start,
// and its length.
func recordBounds(data []byte) []int {
	var out []int
	for off := segHeaderSize; off < len(data); {
		_, n, err := decodeRecord(data[off:])
		if err != nil {
			break
		}
		out = append(out, off)
		off += n
	}
	return append(out, len(data))
}

// damages are the kinds of damage the matrix applies to one segment.
var damages = []struct {
	name  string
	apply func(rng *rand.Rand, ml *matrixLog, seg string, files map[string][]byte)
}{
	{"delete", func(_ *rand.Rand, _ *matrixLog, seg string, files map[string][]byte) { delete(files, seg) }},
	{"truncate-at-record", func(rng *rand.Rand, _ *matrixLog, seg string, files map[string][]byte) {
		b := recordBounds(files[seg])
		files[seg] = files[seg][:b[rng.IntN(len(b))]]
	}},
	{"truncate-between", func(rng *rand.Rand, _ *matrixLog, seg string, files map[string][]byte) {
		files[seg] = files[seg][:rng.IntN(len(files[seg]))]
	}},
	{"flip", func(rng *rand.Rand, _ *matrixLog, seg string, files map[string][]byte) {
		b := slices.Clone(files[seg])
		b[rng.IntN(len(b))] ^= 1 << rng.IntN(8)
		files[seg] = b
	}},
	{"zero-fill", func(rng *rand.Rand, _ *matrixLog, seg string, files map[string][]byte) {
		b := slices.Clone(files[seg])
		from := rng.IntN(len(b))
		to := from + 1 + rng.IntN(len(b)-from)
		if rng.IntN(2) == 0 {
			to = len(b) // a zeroed tail, as after a power cut
		}
		clear(b[from:to])
		files[seg] = b
	}},
	{"reorder", func(rng *rand.Rand, _ *matrixLog, seg string, files map[string][]byte) {
		// Two neighbouring records swap places.
		b := recordBounds(files[seg])
		if len(b) < 3 {
			return
		}
		i := rng.IntN(len(b) - 2)
		d := files[seg]
		out := slices.Clone(d[:b[i]])
		out = append(out, d[b[i+1]:b[i+2]]...)
		out = append(out, d[b[i]:b[i+1]]...)
		files[seg] = append(out, d[b[i+2]:]...)
	}},
	{"swap-segments", func(rng *rand.Rand, ml *matrixLog, seg string, files map[string][]byte) {
		// The segment's bytes trade places with a neighbour's.
		i := slices.Index(ml.names, seg)
		j := i + 1
		if j == len(ml.names) {
			j = i - 1
		}
		if j < 0 {
			return
		}
		other := ml.names[j]
		files[seg], files[other] = files[other], files[seg]
	}},
}

func TestFileDamageMatrix(t *testing.T) {
	seeds := 60
	if testing.Short() {
		seeds = 15
	}
	if v := os.Getenv("STURDY_QUEUE_MATRIX_SEEDS"); v != "" {
		n, err := strconv.Atoi(v)
		require.NoError(t, err)
		seeds = n
	}
	cases := 0
	var tally matrixTally
	for seed := range uint64(seeds) {
		ml := writeMatrixLog(t, seed)
		require.GreaterOrEqual(t, len(ml.names), 3, "seed %d: the log must span segments", seed)
		positions := map[string]string{"first": ml.names[0], "middle": ml.names[len(ml.names)/2], "last": ml.names[len(ml.names)-1]}
		for _, dm := range damages {
			for _, pos := range []string{"first", "middle", "last"} {
				what := fmt.Sprintf("seed %d, %s %s segment", seed, dm.name, pos)
				rng := rand.New(rand.NewPCG(seed, uint64(len(dm.name))+uint64(len(pos))<<8))
				files := map[string][]byte{}
				for n, b := range ml.files {
					files[n] = b
				}
				dm.apply(rng, ml, positions[pos], files)
				tally.add(checkMatrix(t, ml, files, what))
				cases++
			}
		}
	}
	t.Logf("%d seeds, %d damaged logs opened: %d with damage reported, %d messages lost and %d acknowledged ones back, all reported; 0 silent losses, 0 silent resurrections, 0 repeated numbers",
		seeds, cases, tally.reported, tally.lost, tally.back)
	require.NotZero(t, tally.lost, "the matrix must lose messages to test their reports")
	require.NotZero(t, tally.back, "the matrix must bring acknowledged messages back to test their reports")
}

// matrixTally counts what the damage cost, so the matrix shows it tested
// something.
type matrixTally struct{ reported, lost, back int }

func (m *matrixTally) add(o matrixTally) {
	m.reported += o.reported
	m.lost += o.lost
	m.back += o.back
}

// checkMatrix writes files into a fresh directory, opens it and checks the
// three promises.
func checkMatrix(t *testing.T, ml *matrixLog, files map[string][]byte, what string) (tally matrixTally) {
	t.Helper()
	dir := filepath.Join(tmpfsDir(t), "q")
	require.NoError(t, os.MkdirAll(dir, 0o700))
	for n, b := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, n), b, 0o600))
	}
	f, err := OpenFile(dir, FileOptions{Sync: SyncNever})
	require.NoError(t, err, what)
	defer func() { require.NoError(t, f.Close()) }()
	ds := f.Recovery().Damage
	present := map[uint64]bool{}
	for e, ok := f.TryNext(); ok; e, ok = f.TryNext() {
		present[e.Seq] = true
		require.True(t, strings.HasPrefix(string(e.Payload), strconv.FormatUint(e.Seq, 10)+":"), "%s: seq %d carries %q", what, e.Seq, e.Payload)
		if ml.acked[e.Seq] {
			tally.back++
			require.True(t, slices.ContainsFunc(ds, func(d Damage) bool { return d.After >= e.Seq }),
				"%s: acknowledged message %d came back with no damage reported after it: %v", what, e.Seq, ds)
		}
		require.True(t, ml.held[e.Seq] || ml.acked[e.Seq], "%s: message %d was never pushed", what, e.Seq)
	}
	for seq := range ml.held {
		if present[seq] {
			continue
		}
		tally.lost++
		require.True(t, slices.ContainsFunc(ds, func(d Damage) bool { return d.After < seq && (d.Before == 0 || d.Before > seq) }),
			"%s: message %d lost with no damage reported around it: %v", what, seq, ds)
	}
	seq, err := f.Push(context.Background(), Message{Payload: []byte("next")})
	require.NoError(t, err, what)
	require.Greater(t, seq, ml.given, "%s: a number was given out again", what)
	if len(ds) > 0 {
		tally.reported++
	}
	return tally
}
