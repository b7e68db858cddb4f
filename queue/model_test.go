package queue

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// model is the queue's semantics as plainly as they can be written: a
// slice in push order and an index for the cursor. The property test and
// FuzzOps run the same operations on it and on a Memory and require the
// same answers.
type model struct {
	maxMessages int
	maxBytes    int64
	policy      Policy
	entries     []Entry         // payloads are the model's own copies
	sent        map[uint64]bool // handed out at least once
	cursor      int             // entries[:cursor] are in flight
	seq         uint64
	drops       []dropRecord
}

func (m *model) size(es []Entry) (n int64) {
	for _, e := range es {
		n += int64(len(e.Payload))
	}
	return n
}

func (m *model) fits(n int) bool {
	return len(m.entries) < m.maxMessages && m.size(m.entries)+int64(n) <= m.maxBytes
}

func (m *model) removeAt(i int, why DropReason) {
	if why == ReasonExpired && m.sent[m.entries[i].Seq] {
		why = ReasonExpiredUnacked
	}
	if why != 0 {
		e := m.entries[i]
		m.drops = append(m.drops, dropRecord{e.Seq, why, string(e.Payload)})
	}
	m.entries = append(m.entries[:i], m.entries[i+1:]...)
	if i < m.cursor {
		m.cursor--
	}
}

func (m *model) push(msg Message, now time.Time) (uint64, error) {
	n := len(msg.Payload)
	if int64(n) > m.maxBytes {
		return 0, &TooLargeError{Size: n, Limit: m.maxBytes}
	}
	e := Entry{Type: msg.Type, Payload: bytes.Clone(msg.Payload), Enqueued: now}
	if msg.MaxAge > 0 {
		e.Deadline = now.Add(msg.MaxAge)
	}
	if !m.fits(n) {
		for i := m.cursor; i < len(m.entries); {
			if m.entries[i].Expired(now) {
				m.removeAt(i, ReasonExpired)
			} else {
				i++
			}
		}
	}
	if !m.fits(n) {
		dropNew := false
		switch m.policy {
		case Block: // the harness pushes with a cancelled context
			return 0, context.Canceled
		case Reject:
			return 0, ErrQueueFull
		case DropNewest:
			dropNew = true
		case DropOldest:
			if m.cursor < m.maxMessages && m.size(m.entries[:m.cursor])+int64(n) <= m.maxBytes {
				for !m.fits(n) {
					m.removeAt(m.cursor, ReasonOverflowOldest)
				}
			} else {
				dropNew = true
			}
		}
		if dropNew {
			m.drops = append(m.drops, dropRecord{0, ReasonOverflowNewest, string(e.Payload)})
			return 0, ErrDropped
		}
	}
	m.seq++
	e.Seq = m.seq
	m.entries = append(m.entries, e)
	return e.Seq, nil
}

func (m *model) next(now time.Time) (Entry, bool) {
	for m.cursor < len(m.entries) {
		if m.entries[m.cursor].Expired(now) {
			m.removeAt(m.cursor, ReasonExpired)
			continue
		}
		m.cursor++
		if m.sent == nil {
			m.sent = map[uint64]bool{}
		}
		m.sent[m.entries[m.cursor-1].Seq] = true
		return m.entries[m.cursor-1], true
	}
	return Entry{}, false
}

func (m *model) ack(seq uint64) {
	for i, e := range m.entries {
		if e.Seq == seq {
			m.removeAt(i, 0)
			return
		}
	}
}

func (m *model) ackThrough(seq uint64) {
	for len(m.entries) > 0 && m.entries[0].Seq <= seq {
		m.removeAt(0, 0)
	}
}

func (m *model) holds(seq uint64) bool {
	for _, e := range m.entries {
		if e.Seq == seq {
			return true
		}
	}
	return false
}

func (m *model) drain() []Entry {
	out := m.entries
	m.entries, m.cursor = nil, 0
	return out
}

type opKind uint8

const (
	opPush opKind = iota
	opNext
	opAck
	opAckThrough
	opRewind
	opAdvance
	opDrain
)

// opWeights maps a byte to an operation, pushes and hand-outs being the
// most common, Drain rare because it empties the queue.
var opWeights = [32]opKind{
	opPush, opPush, opPush, opPush, opPush, opPush, opPush, opPush, opPush, opPush, opPush,
	opNext, opNext, opNext, opNext, opNext, opNext, opNext, opNext, opNext,
	opAck, opAck, opAck, opAck,
	opAckThrough, opAckThrough,
	opRewind, opRewind,
	opAdvance, opAdvance, opAdvance,
	opDrain,
}

// runOps decodes data into a queue configuration and a sequence of
// operations, runs them on a Memory and on the model, and fails at the
// first difference. The first three bytes pick the policy and limits;
// every following three bytes are one operation and its two arguments.
func runOps(t testing.TB, data []byte) {
	if len(data) < 3 {
		return
	}
	cfg := Options{
		Overflow:    Policy(data[0] % 4),
		MaxMessages: int(data[1]%8) + 1,
		MaxBytes:    int64(data[2]%64) + 1,
	}
	clk, rec := newFakeClock(), &recorder{}
	// The timer never fires here (Advance, not Tick): the model is the
	// lazy expiry of Next and a full Push; TestExpiryTimerBound covers
	// the timer.
	cfg.Now, cfg.OnDrop, cfg.afterFunc = clk.Now, rec.OnDrop, clk.AfterFunc
	q := NewMemory(cfg)
	mod := &model{maxMessages: cfg.MaxMessages, maxBytes: cfg.MaxBytes, policy: cfg.Overflow}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()

	var out handedOut
	data = data[3:]
	for step := 0; len(data) >= 3; step++ {
		kind, a, b := opWeights[data[0]%32], data[1], data[2]
		data = data[3:]
		switch kind {
		case opPush:
			payload := make([]byte, int(a)%int(cfg.MaxBytes+4))
			for i := range payload {
				payload[i] = b + byte(i)
			}
			msg := Message{Type: MessageType(1 + b&1), Payload: payload}
			if b&3 != 0 {
				msg.MaxAge = time.Duration((b>>2)%40) * time.Millisecond
			}
			wantSeq, wantErr := mod.push(msg, clk.Now())
			gotSeq, gotErr := q.Push(cancelled, msg)
			requireSameErr(t, wantErr, gotErr, step)
			require.Equal(t, wantSeq, gotSeq, "step %d: push seq", step)
		case opNext:
			want, wantOK := mod.next(clk.Now())
			out.call()
			got, gotOK := q.TryNext()
			require.Equal(t, wantOK, gotOK, "step %d: TryNext ok", step)
			requireSameEntry(t, want, got, step)
			if gotOK {
				out.got(got)
			}
		case opAck, opAckThrough:
			seq := uint64(a) % (mod.seq + 3)
			if kind == opAck {
				mod.ack(seq)
				require.NoError(t, q.Ack(seq))
			} else {
				mod.ackThrough(seq)
				require.NoError(t, q.AckThrough(seq))
			}
		case opRewind:
			mod.cursor = 0
			out.call()
			q.Rewind()
		case opAdvance:
			clk.Advance(time.Duration(a%50) * time.Millisecond)
		case opDrain:
			out.call()
			requireSameDrain(t, q, mod, step)
		}
		out.check(t, mod.holds, step)
		require.Equal(t, mod.drops, rec.take(), "step %d: drops", step)
		mod.drops = nil
		n, size := q.Len()
		require.Equal(t, len(mod.entries), n, "step %d: Len messages", step)
		require.Equal(t, mod.size(mod.entries), size, "step %d: Len bytes", step)
		checkRing(t, q)
	}

	require.NoError(t, q.Close())
	_, err := q.Push(context.Background(), Message{})
	require.ErrorIs(t, err, ErrClosed)
	requireSameDrain(t, q, mod, -1)
}

func requireSameErr(t testing.TB, want, got error, step int) {
	t.Helper()
	var tl *TooLargeError
	switch {
	case want == nil:
		require.NoError(t, got, "step %d", step)
	case errors.As(want, &tl):
		var gotTL *TooLargeError
		require.ErrorAs(t, got, &gotTL, "step %d", step)
		require.Equal(t, *tl, *gotTL, "step %d", step)
	default:
		require.ErrorIs(t, got, want, "step %d", step)
	}
}

func requireSameEntry(t testing.TB, want, got Entry, step int) {
	t.Helper()
	require.Equal(t, want.Seq, got.Seq, "step %d: seq", step)
	require.Equal(t, want.Type, got.Type, "step %d: type", step)
	require.Equal(t, string(want.Payload), string(got.Payload), "step %d: payload", step)
	require.True(t, want.Enqueued.Equal(got.Enqueued), "step %d: enqueued", step)
	require.True(t, want.Deadline.Equal(got.Deadline), "step %d: deadline", step)
}

func requireSameDrain(t testing.TB, q *Memory, mod *model, step int) {
	t.Helper()
	want := mod.drain()
	var got []Entry
	require.NoError(t, q.Drain(func(e Entry) {
		e.Payload = bytes.Clone(e.Payload)
		got = append(got, e)
	}))
	require.Len(t, got, len(want), "step %d: drained", step)
	for i := range want {
		requireSameEntry(t, want[i], got[i], step)
	}
}

// TestModel runs long random operation sequences against the model, many
// seeds, each reproducible from its name.
func TestModel(t *testing.T) {
	seeds, ops := 30, 3000
	if testing.Short() {
		seeds = 10
	}
	for seed := range uint64(seeds) {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 0x5eed))
			data := make([]byte, 3+3*ops)
			for i := range data {
				data[i] = byte(rng.Uint32())
			}
			runOps(t, data)
		})
	}
}

// FuzzOps explores operation sequences beyond the seeded ones; the corpus
// in testdata/fuzz/FuzzOps covers each policy.
func FuzzOps(f *testing.F) {
	f.Add([]byte{0, 3, 40, 0, 5, 1, 0, 6, 2, 11, 0, 0, 20, 1, 0, 26, 0, 0, 11, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		runOps(t, data)
	})
}
