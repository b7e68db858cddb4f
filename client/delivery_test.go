package client_test

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sturdyws/sturdy/client"
	"github.com/sturdyws/sturdy/transport"
	"github.com/sturdyws/sturdy/wstest"
)

const (
	deliveryMessages = 10_000
	deliveryFaults   = 25
)

// deliverySeed returns the seed of the fault schedule: STURDY_SEED when set,
// so a failure can be replayed, a fixed value otherwise.
func deliverySeed(t *testing.T) uint64 {
	seed := uint64(20261125)
	if s := os.Getenv("STURDY_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		require.NoError(t, err)
		seed = v
	}
	t.Logf("fault schedule seed %d (set STURDY_SEED to replay)", seed)
	return seed
}

// faultSchedule kills each of the first deliveryFaults connections after a
// seeded random number of received messages, by a seeded choice of the ways
// a connection dies: dropped (1006), reset, or closed with a retryable code.
func faultSchedule(seed uint64) []wstest.Rule {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	faults := []wstest.Fault{
		wstest.Drop(),
		wstest.Reset(),
		wstest.CloseWith(transport.StatusGoingAway, "going away"),
		wstest.CloseWith(transport.StatusInternalError, "oops"),
		wstest.CloseWith(transport.StatusServiceRestart, "restart"),
	}
	rules := make([]wstest.Rule, deliveryFaults)
	for i := range rules {
		rules[i] = wstest.Rule{Conn: i + 1, AfterReceived: 20 + r.IntN(500), Do: faults[r.IntN(len(faults))]}
	}
	return rules
}

// numbered returns the payload carrying message number n.
func numbered(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }

// TestAtLeastOnceDeliversEverythingInOrder sends 10,000 numbered messages
// while the server kills the connection at seeded random points; the
// server acknowledges what it reads. Every number must arrive, in order,
// with duplicates only where a connection begins by replaying what the
// last one did not get acknowledged.
func TestAtLeastOnceDeliversEverythingInOrder(t *testing.T) {
	for _, window := range []int{-1, 256} {
		t.Run(fmt.Sprintf("MaxInFlight=%d", window), func(t *testing.T) { testAtLeastOnce(t, window) })
	}
}

func testAtLeastOnce(t *testing.T, window int) {
	ctx := testCtx(t)
	ack := func(m wstest.Message) []byte { return append([]byte("ack"), m.Data...) }
	srv := wstest.Start(t, wstest.Options{Default: wstest.Sink(ack), Script: faultSchedule(deliverySeed(t))})
	var dead []client.DeadLetter
	var mu sync.Mutex
	c := start(t, ctx, nil, client.Options{
		URL:         srv.URL(),
		Backoff:     fastBackoff(),
		Delivery:    client.AtLeastOnce,
		MaxInFlight: window,
		AckExtractor: func(_ transport.MessageType, p []byte) (uint64, bool) {
			if len(p) != 11 || string(p[:3]) != "ack" {
				return 0, false
			}
			return binary.BigEndian.Uint64(p[3:]), true
		},
		OnDeadLetter: func(d client.DeadLetter) { mu.Lock(); dead = append(dead, d); mu.Unlock() },
	})

	sent := make([][]byte, deliveryMessages)
	for i := range sent {
		sent[i] = numbered(uint64(i + 1))
		seq, err := c.Send(ctx, transport.MessageBinary, sent[i])
		require.NoError(t, err)
		require.Equal(t, uint64(i+1), seq, "sequence numbers follow Send order")
	}
	require.NoError(t, c.Flush(ctx), "every message acknowledged")

	got := srv.Received()
	require.NoError(t, wstest.CheckDelivery(sent, got))
	snap := srv.Snapshot()
	require.GreaterOrEqual(t, snap.Accepted(), deliveryFaults+1, "every scheduled fault happened")
	stats := c.Stats()
	assert.GreaterOrEqual(t, stats.Reconnects, uint64(deliveryFaults))
	require.NoError(t, c.Close())
	mu.Lock()
	assert.Empty(t, dead, "nothing dropped")
	mu.Unlock()
	dups := len(got) - deliveryMessages
	t.Logf("%d messages, %d connections, %d received by the server (%d duplicates at reconnect boundaries)",
		deliveryMessages, snap.Accepted(), len(got), dups)
	if window > 0 {
		// Each drop replays at most the unacknowledged window.
		assert.LessOrEqual(t, dups, window*(snap.Accepted()-1))
	}
}

// TestAtMostOnceNeverDuplicatesAndReportsLosses: the same schedule without
// acknowledgements. No number may arrive twice or out of order, and every
// number that did not arrive must have been reported as undelivered.
func TestAtMostOnceNeverDuplicatesAndReportsLosses(t *testing.T) {
	ctx := testCtx(t)
	srv := wstest.Start(t, wstest.Options{Script: faultSchedule(deliverySeed(t))})
	var mu sync.Mutex
	reported := map[uint64]client.DropReason{}
	c := start(t, ctx, nil, client.Options{
		URL:      srv.URL(),
		Backoff:  fastBackoff(),
		Delivery: client.AtMostOnce,
		OnDeadLetter: func(d client.DeadLetter) {
			mu.Lock()
			defer mu.Unlock()
			reported[binary.BigEndian.Uint64(d.Payload)] = d.Reason
		},
	})
	// Without replay, a burst written just before a drop is lost at once;
	// sending in paced chunks spreads the messages over every scheduled
	// fault instead of over the first few.
	const chunk = 100
	for i := uint64(1); i <= deliveryMessages; i++ {
		_, err := c.Send(ctx, transport.MessageBinary, numbered(i))
		require.NoError(t, err)
		if i%chunk == 0 {
			require.NoError(t, c.Flush(ctx), "every message confirmed or reported")
		}
	}
	require.NoError(t, c.Close())

	// The server may still read an old connection while the next one
	// delivers: the session's order is connection by connection.
	got := srv.Received()
	slices.SortStableFunc(got, func(a, b wstest.Message) int { return cmp.Compare(a.Conn, b.Conn) })
	received := map[uint64]bool{}
	last := uint64(0)
	for _, m := range got {
		n := binary.BigEndian.Uint64(m.Data)
		require.False(t, received[n], "message %d delivered twice (conn %d)", n, m.Conn)
		require.Greater(t, n, last, "message %d (conn %d #%d) after %d: out of order", n, m.Conn, m.Index, last)
		received[n], last = true, n
	}
	mu.Lock()
	defer mu.Unlock()
	lost, unconfirmedButArrived := 0, 0
	for n := uint64(1); n <= deliveryMessages; n++ {
		reason, wasReported := reported[n]
		if wasReported {
			require.Equal(t, client.ReasonUnconfirmed, reason, "message %d", n)
		}
		switch {
		case !received[n] && !wasReported:
			require.Failf(t, "silent loss", "message %d neither arrived nor was reported", n)
		case !received[n]:
			lost++
		case wasReported:
			unconfirmedButArrived++
		}
	}
	require.GreaterOrEqual(t, srv.Snapshot().Accepted(), deliveryFaults+1, "every scheduled fault happened")
	assert.Positive(t, lost, "the faults should have cost some messages")
	t.Logf("%d messages: %d arrived once, %d lost and reported, %d reported unconfirmed that had arrived",
		deliveryMessages, len(received), lost, unconfirmedButArrived)
}
