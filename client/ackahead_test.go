package client_test

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sturdyws/sturdy/client"
	"github.com/sturdyws/sturdy/queue"
	"github.com/sturdyws/sturdy/transport"
	"github.com/sturdyws/sturdy/wstest"
)

// patterned returns message n's payload: its number, then a length and
// bytes that depend on n alone, so any mix of two messages is detectable.
func patterned(n uint64) []byte {
	size := 8 + int(n*7919%3000)
	p := binary.BigEndian.AppendUint64(make([]byte, 0, size), n)
	for i := 8; i < size; i++ {
		p = append(p, byte(n*31+uint64(i)))
	}
	return p
}

// checkPatterned reports whether p is exactly patterned(n) for the n it
// carries.
func checkPatterned(p []byte) (uint64, error) {
	if len(p) < 8 {
		return 0, fmt.Errorf("payload of %d bytes has no number", len(p))
	}
	n := binary.BigEndian.Uint64(p)
	if want := patterned(n); string(want) != string(p) {
		return n, fmt.Errorf("payload of message %d corrupted: got %d bytes, want %d", n, len(p), len(want))
	}
	return n, nil
}

// ackHappy is a server that acknowledges cumulatively the highest number it
// has seen plus a random lead, on every message including the duplicates
// of a replay: acknowledgements arrive early, ahead and twice, which is
// legal and must never corrupt what the client is still writing.
type ackHappy struct {
	mu      sync.Mutex
	rng     *rand.Rand
	highest uint64
	bad     []error
}

func (a *ackHappy) reply(m wstest.Message) []byte {
	n, err := checkPatterned(m.Data)
	a.mu.Lock()
	defer a.mu.Unlock()
	if err != nil {
		a.bad = append(a.bad, err)
		return nil
	}
	a.highest = max(a.highest, n)
	return binary.BigEndian.AppendUint64([]byte("ack"), a.highest+uint64(a.rng.IntN(4)))
}

func (a *ackHappy) errors() []error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]error(nil), a.bad...)
}

func parseAck(_ transport.MessageType, p []byte) (uint64, bool) {
	if len(p) != 11 || string(p[:3]) != "ack" {
		return 0, false
	}
	return binary.BigEndian.Uint64(p[3:]), true
}

// TestEarlyAcksNeverCorruptPayloads sends patterned messages of many sizes
// through a server that acknowledges ahead of what it read and on every
// duplicate, while connections drop at seeded points so the writer is
// replaying when the acks land. Every payload the server reads must be
// exactly one message's, with the default queue and a small one whose
// blocks are recycled at once.
func TestEarlyAcksNeverCorruptPayloads(t *testing.T) {
	const messages = 1500
	queues := map[string]queue.Options{"default": {}, "small": {MaxBytes: 32 << 10, MaxMessages: 64}}
	for name, qo := range queues {
		for seed := uint64(1); seed <= 6; seed++ {
			t.Run(fmt.Sprintf("%s/seed=%d", name, seed), func(t *testing.T) {
				ctx := testCtx(t)
				srvAcks := &ackHappy{rng: rand.New(rand.NewPCG(seed, 7))}
				r := rand.New(rand.NewPCG(seed, 11))
				rules := make([]wstest.Rule, 12)
				for i := range rules {
					rules[i] = wstest.Rule{Conn: i + 1, AfterReceived: 5 + r.IntN(150), Do: wstest.Drop()}
				}
				srv := wstest.Start(t, wstest.Options{Default: wstest.Sink(srvAcks.reply), Script: rules})
				c := start(t, ctx, nil, client.Options{
					URL:          srv.URL(),
					Backoff:      fastBackoff(),
					Delivery:     client.AtLeastOnce,
					QueueOptions: qo,
					AckExtractor: parseAck,
				})
				for i := uint64(1); i <= messages; i++ {
					_, err := c.Send(ctx, transport.MessageBinary, patterned(i))
					require.NoError(t, err)
				}
				require.NoError(t, c.Flush(ctx))
				require.NoError(t, c.Close())
				require.Empty(t, srvAcks.errors(), "the server read corrupted payloads")
				for _, m := range srv.Received() {
					_, err := checkPatterned(m.Data)
					require.NoError(t, err)
				}
				t.Logf("%d messages sent, %d read by the server over %d connections",
					messages, len(srv.Received()), srv.Snapshot().Accepted())
			})
		}
	}
}
