package queue

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// handedOut checks the payload contract of Entry.Payload from the
// consumer's side: a payload it was handed stays intact until its next
// call, whatever acks and pushes happen meanwhile, and after that for as
// long as the entry is held. The property tests feed it every hand-out and
// consumer call, and check it after every operation.
type handedOut struct {
	entries []handedEntry
}

type handedEntry struct {
	seq     uint64
	payload []byte // the queue's slice, as handed out
	want    string // a copy taken when it was handed out
	fresh   bool   // handed out by the consumer's latest call
}

// call notes a consumer call (Next, TryNext, Rewind, Drain): payloads
// handed out before it now last only while their entry is held.
func (h *handedOut) call() {
	for i := range h.entries {
		h.entries[i].fresh = false
	}
}

// got notes an entry the consumer's latest call returned.
func (h *handedOut) got(e Entry) {
	h.entries = append(h.entries, handedEntry{seq: e.Seq, payload: e.Payload, want: string(e.Payload), fresh: true})
}

// check compares every payload still promised intact, given which
// sequence numbers the queue holds, and forgets the others.
func (h *handedOut) check(t testing.TB, held func(seq uint64) bool, step int) {
	t.Helper()
	keep := h.entries[:0]
	for _, e := range h.entries {
		if !e.fresh && !held(e.seq) {
			continue
		}
		if string(e.payload) != e.want {
			t.Fatalf("step %d: payload of seq %d handed out as %q now reads %q", step, e.seq, e.want, e.payload)
		}
		keep = append(keep, e)
	}
	clear(h.entries[len(keep):])
	h.entries = keep
}

// TestPayloadOutlivesEarlyAck is the bug of a server that acknowledges
// cumulatively ahead of the writer: the entry the writer was just handed
// is acknowledged, a Push of the same size follows, and the writer's
// payload must still read as it did.
func TestPayloadOutlivesEarlyAck(t *testing.T) {
	for _, q := range bothQueues(t) {
		t.Run(q.name, func(t *testing.T) {
			ctx := context.Background()
			qu := q.q
			_, err := qu.Push(ctx, Message{Type: 2, Payload: []byte("first message!")})
			require.NoError(t, err)
			_, err = qu.Push(ctx, Message{Type: 2, Payload: []byte("second message")})
			require.NoError(t, err)
			e1, ok := qu.TryNext()
			require.True(t, ok)
			e2, ok := qu.TryNext()
			require.True(t, ok)
			_, err = qu.Push(ctx, Message{Type: 2, Payload: []byte("never sent")})
			require.NoError(t, err)
			require.NoError(t, qu.AckThrough(100)) // ahead of anything pushed
			for range 4 {
				_, err = qu.Push(ctx, Message{Type: 2, Payload: []byte("XXXXXXXXXXXXXX")})
				require.NoError(t, err)
			}
			require.Equal(t, "second message", string(e2.Payload), "the latest payload handed out")
			require.Equal(t, "first message!", string(e1.Payload), "an earlier one, acked since the consumer's last call")
			// Acked before being handed out: never handed out.
			e, ok := qu.TryNext()
			require.True(t, ok)
			require.Equal(t, uint64(4), e.Seq)
			require.Equal(t, "XXXXXXXXXXXXXX", string(e.Payload))
			n, _ := qu.Len()
			require.Equal(t, 4, n)
		})
	}
}

// bothQueues returns a Memory and a File, closed when the test ends.
func bothQueues(t *testing.T) []struct {
	name string
	q    Queue
} {
	return []struct {
		name string
		q    Queue
	}{
		{"Memory", NewMemory(Options{})},
		{"File", openTestFile(t, tmpfsDir(t), FileOptions{Sync: SyncNever})},
	}
}

// stamped returns a payload of size n that carries its own checksum: the
// first 8 bytes are id, every other byte derives from id and its offset,
// so a consumer can tell a payload mixing two messages from a whole one.
func stamped(id uint64, n int) []byte {
	b := make([]byte, max(n, 8))
	binary.LittleEndian.PutUint64(b, id)
	for i := 8; i < len(b); i++ {
		b[i] = byte(id*131 + uint64(i)*7)
	}
	return b
}

func stampOK(b []byte) bool {
	if len(b) < 8 {
		return false
	}
	id := binary.LittleEndian.Uint64(b)
	for i := 8; i < len(b); i++ {
		if b[i] != byte(id*131+uint64(i)*7) {
			return false
		}
	}
	return true
}

// TestPayloadUnderConcurrentAcks runs the client's shape with a hostile
// acknowledger: producers push self-checking payloads into a small queue,
// an acker acknowledges cumulatively ahead of what the consumer has been
// handed (and now and then one number at a time), and the consumer reads
// every payload again after giving the others time to run, rewinding now
// and then as a reconnect does. Every payload read must be whole; under
// -race, any reuse of a block the consumer may still read is a race report.
func TestPayloadUnderConcurrentAcks(t *testing.T) {
	seeds := 20
	if testing.Short() {
		seeds = 6
	}
	for seed := range uint64(seeds) {
		for _, q := range []string{"Memory", "File"} {
			t.Run(fmt.Sprintf("%s/seed=%d", q, seed), func(t *testing.T) {
				var qu Queue
				if q == "Memory" {
					qu = NewMemory(Options{MaxMessages: 16, MaxBytes: 4 << 10})
				} else {
					qu = openTestFile(t, tmpfsDir(t), FileOptions{Options: Options{MaxMessages: 16, MaxBytes: 4 << 10}, Sync: SyncNever, SegmentBytes: 8 << 10})
				}
				runAckStorm(t, qu, seed)
			})
		}
	}
}

func runAckStorm(t *testing.T, q Queue, seed uint64) {
	const messages = 1500
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		highest uint64 // the highest number pushed
	)
	for p := range uint64(2) {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(seed, p))
			for i := range uint64(messages / 2) {
				seq, err := q.Push(ctx, Message{Type: 2, Payload: stamped(p<<32|i, 8+rng.IntN(200))})
				if err != nil {
					assert.ErrorIs(t, err, context.Canceled)
					return
				}
				mu.Lock()
				highest = max(highest, seq)
				mu.Unlock()
			}
		})
	}
	wg.Go(func() {
		rng := rand.New(rand.NewPCG(seed, 7))
		for ctx.Err() == nil {
			mu.Lock()
			top := highest
			mu.Unlock()
			if rng.IntN(4) == 0 {
				assert.NoError(t, q.Ack(top-uint64(rng.IntN(4))))
			} else {
				// Behind the consumer or ahead of what was pushed, as an
				// ack-happy server does.
				assert.NoError(t, q.AckThrough(top+2-uint64(rng.IntN(12))))
			}
			runtime.Gosched()
		}
	})
	rng := rand.New(rand.NewPCG(seed, 9))
	read := 0
	for {
		mu.Lock()
		top := highest
		mu.Unlock()
		if top >= messages {
			n, _ := q.Len()
			if n == 0 {
				break
			}
		}
		e, ok := q.TryNext()
		if !ok {
			if rng.IntN(8) == 0 {
				q.Rewind()
			}
			runtime.Gosched()
			continue
		}
		for range 1 + rng.IntN(3) {
			runtime.Gosched() // let acks and pushes land while it is held
		}
		require.True(t, stampOK(e.Payload), "seq %d: payload mixes messages: % x", e.Seq, e.Payload)
		read++
	}
	cancel()
	wg.Wait()
	t.Logf("%d payloads read", read)
}
