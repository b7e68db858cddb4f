package queue

import (
	"context"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestFileBehavesLikeMemory runs the same random operations on a File and
// on a Memory, with the File closed and reopened now and then (for the
// Memory, a Rewind: a reopened queue replays from its oldest entry), and
// requires the same answers and the same drops throughout. So the File has
// Memory's semantics, and a restart changes nothing but the cursor.
func TestFileBehavesLikeMemory(t *testing.T) {
	for seed := range uint64(12) {
		policy := Policy(seed % 4)
		t.Run(policy.String()+"/"+string(rune('a'+seed)), func(t *testing.T) {
			runFileModel(t, seed, policy)
		})
	}
}

func runFileModel(t *testing.T, seed uint64, policy Policy) {
	rng := rand.New(rand.NewPCG(seed, 3))
	clk := newFakeClock()
	memDrops, fileDrops := &recorder{}, &recorder{}
	base := Options{MaxMessages: 1 + rng.IntN(12), MaxBytes: int64(20 + rng.IntN(200)), Overflow: policy, Now: clk.Now, afterFunc: clk.AfterFunc}
	mo := base
	mo.OnDrop = memDrops.OnDrop
	mem := NewMemory(mo)
	defer func() { _ = mem.Close() }()
	fo := FileOptions{Options: base, Sync: SyncPolicy(seed % 3), SegmentBytes: int64(100 + rng.IntN(400))}
	fo.OnDrop = fileDrops.OnDrop
	f := openTestFile(t, tmpfsDir(t), fo)

	cancelled, cancel := context.WithCancel(context.Background())
	cancel() // a Block push that would wait returns at once
	var seqs []uint64
	var out handedOut
	var handed uint64 // the highest number handed out
	for step := range 3000 {
		switch op := rng.IntN(100); {
		case op < 35:
			msg := Message{Type: MessageType(1 + rng.IntN(2)), Payload: []byte(strconv.Itoa(step) + strings.Repeat("p", rng.IntN(40)))}
			if rng.IntN(4) == 0 {
				msg.MaxAge = time.Duration(1+rng.IntN(5)) * time.Second
			}
			ws, werr := mem.Push(cancelled, msg)
			gs, gerr := f.Push(cancelled, msg)
			require.Equal(t, werr, gerr, "step %d push", step)
			require.Equal(t, ws, gs, "step %d push", step)
			if werr == nil {
				seqs = append(seqs, ws)
			}
		case op < 60:
			we, wok := mem.TryNext()
			out.call()
			ge, gok := f.TryNext()
			require.Equal(t, wok, gok, "step %d next", step)
			requireSameFileEntry(t, we, ge, step)
			if gok {
				out.got(ge)
				handed = max(handed, ge.Seq)
			}
		case op < 72 && len(seqs) > 0:
			seq := seqs[rng.IntN(len(seqs))]
			require.NoError(t, mem.Ack(seq))
			require.NoError(t, f.Ack(seq))
		case op < 77 && len(seqs) > 0:
			seq := seqs[rng.IntN(len(seqs))] + uint64(rng.IntN(3))
			require.NoError(t, mem.AckThrough(seq))
			require.NoError(t, f.AckThrough(seq))
		case op < 82:
			mem.Rewind()
			out.call()
			f.Rewind()
		case op < 88:
			// Both queues' timers fire: the drops they report must match.
			clk.Tick(time.Duration(rng.IntN(1500)) * time.Millisecond)
		case op < 90:
			var want, got []Entry
			out.call()
			require.NoError(t, mem.Drain(func(e Entry) { want = append(want, cloneEntry(e)) }))
			require.NoError(t, f.Drain(func(e Entry) { got = append(got, cloneEntry(e)) }))
			require.Equal(t, len(want), len(got), "step %d drain", step)
			for i := range want {
				requireSameFileEntry(t, want[i], got[i], step)
			}
		case op < 95:
			mem.Rewind()
			out = handedOut{} // a closed File's payloads are gone with it
			// The mark makes what was handed out come back in doubt, so
			// that it expires as ExpiredUnacked, as in the Memory.
			require.NoError(t, f.MarkSending(handed))
			f = reopen(t, f, fo)
			require.Empty(t, f.Recovery().Damage, "step %d", step)
		}
		out.check(t, f.holds, step)
		wn, wb := mem.Len()
		gn, gb := f.Len()
		require.Equal(t, [2]int64{int64(wn), wb}, [2]int64{int64(gn), gb}, "step %d len", step)
		require.Equal(t, memDrops.take(), fileDrops.take(), "step %d drops", step)
	}
}

// holds reports whether f holds the entry numbered seq.
func (f *File) holds(seq uint64) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.ring.find(seq)
	return ok
}

func cloneEntry(e Entry) Entry {
	e.Payload = append([]byte(nil), e.Payload...)
	return e
}

func requireSameFileEntry(t *testing.T, want, got Entry, step int) {
	t.Helper()
	require.Equal(t, want.Seq, got.Seq, "step %d", step)
	require.Equal(t, want.Type, got.Type, "step %d seq %d", step, want.Seq)
	require.Equal(t, string(want.Payload), string(got.Payload), "step %d seq %d", step, want.Seq)
	require.True(t, want.Enqueued.Equal(got.Enqueued), "step %d seq %d enqueued", step, want.Seq)
	require.True(t, want.Deadline.Equal(got.Deadline), "step %d seq %d deadline", step, want.Seq)
}
