package main

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sturdyws/sturdy/client"
	"github.com/sturdyws/sturdy/transport"
	"github.com/sturdyws/sturdy/wstest"
)

// record builds the exchange's record: conns[i] lists the payloads
// connection i+1 received, in order.
func record(conns ...[][]byte) []wstest.Message {
	var got []wstest.Message
	for i, msgs := range conns {
		for j, p := range msgs {
			got = append(got, wstest.Message{Conn: i + 1, Index: j + 1, Type: transport.MessageText, Data: p})
		}
	}
	return got
}

func orders(ids ...uint64) [][]byte {
	out := make([][]byte, len(ids))
	for i, id := range ids {
		out[i] = orderMsg(id)
	}
	return out
}

func withSub(msgs [][]byte) [][]byte { return append([][]byte{subscribeMsg}, msgs...) }

// The summary's verdict rests on these checks: each must catch what it
// claims to catch, or the program's exit status 0 means nothing.
func TestCheckOrders(t *testing.T) {
	sent := orders(1, 2, 3, 4)
	expired := map[uint64]client.DeadLetter{3: {Seq: 3, Reason: client.ReasonExpired}}
	closed := map[uint64]client.DeadLetter{4: {Seq: 4, Reason: client.ReasonClosed}}
	tests := []struct {
		name string
		dead map[uint64]client.DeadLetter
		got  []wstest.Message
		want orderCheck // Err compared as nil or not
	}{
		{"all delivered", nil, record(withSub(orders(1, 2)), withSub(orders(3, 4))),
			orderCheck{Delivered: 4}},
		{"replayed at a reconnect", nil, record(withSub(orders(1, 2)), withSub(orders(2, 3, 4))),
			orderCheck{Delivered: 4, Replayed: 1}},
		{"expired, never sent", expired, record(withSub(orders(1, 2)), withSub(orders(4))),
			orderCheck{Delivered: 3, Expired: 1}},
		{"expired on replay but delivered before", expired, record(withSub(orders(1, 2, 3)), withSub(orders(4))),
			orderCheck{Delivered: 4}},
		{"lost", nil, record(withSub(orders(1, 2)), withSub(orders(4))),
			orderCheck{Delivered: 3, Lost: 1, Err: errLost}},
		{"left at close", closed, record(withSub(orders(1, 2, 3))),
			orderCheck{Delivered: 3, Undelivered: 1}},
		{"reordered", nil, record(withSub(orders(1, 3, 2, 4))),
			orderCheck{Delivered: 4, Err: errLost}},
		{"duplicate inside a connection", nil, record(withSub(orders(1, 2, 2, 3, 4))),
			orderCheck{Delivered: 4, Replayed: 1, Err: errLost}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := checkOrders(sent, tt.dead, tt.got)
			assert.Equal(t, 4, got.Sent)
			assert.Equal(t, tt.want.Delivered, got.Delivered, "delivered")
			assert.Equal(t, tt.want.Replayed, got.Replayed, "replayed")
			assert.Equal(t, tt.want.Expired, got.Expired, "expired")
			assert.Equal(t, tt.want.Undelivered, got.Undelivered, "undelivered")
			assert.Equal(t, tt.want.Lost, got.Lost, "lost")
			if tt.want.Err != nil {
				assert.Error(t, got.Err)
			} else {
				assert.NoError(t, got.Err)
			}
		})
	}
}

func TestCheckAcked(t *testing.T) {
	dead := map[uint64]client.DeadLetter{
		3: {Seq: 3, Reason: client.ReasonExpired},
		5: {Seq: 5, Reason: client.ReasonClosed},
	}
	got := checkAcked(orders(1, 2, 3, 4, 5, 6), dead, 2)
	assert.Equal(t, orderCheck{Sent: 6, Delivered: 2, Expired: 1, Undelivered: 1, Lost: 2, Verified: got.Verified}, got)
	// The exchange's acks are cumulative: ack 6 does not make the expired
	// order 3 or the undelivered 5 acknowledged.
	got = checkAcked(orders(1, 2, 3, 4, 5, 6), dead, 6)
	assert.Equal(t, orderCheck{Sent: 6, Delivered: 4, Expired: 1, Undelivered: 1, Verified: got.Verified}, got)
}

// TestLedgerCountsWhatWasAcknowledged: the live line's "acked" counts the
// orders acknowledged, not the highest ack id, which also covers the
// orders that expired unsent.
func TestLedgerCountsWhatWasAcknowledged(t *testing.T) {
	l := newLedger()
	l.sent = orders(1, 2, 3, 4, 5)
	l.dead[2] = client.DeadLetter{Seq: 2, Reason: client.ReasonExpired}
	l.dead[5] = client.DeadLetter{Seq: 5, Reason: client.ReasonExpired}
	assert.Equal(t, 0, l.acknowledged())
	_, ok := l.extractAck(transport.MessageText, []byte(`{"ack":4}`))
	require.True(t, ok)
	assert.Equal(t, uint64(4), l.highestAck())
	assert.Equal(t, 3, l.acknowledged(), "orders 1, 3 and 4; 2 expired unsent")
}

func TestCheckSubscriptions(t *testing.T) {
	ok := checkSubscriptions(record(withSub(orders(1)), nil, withSub(nil)), 3)
	require.NoError(t, ok.Err)
	assert.Equal(t, 2, ok.Subscribed, "the silent connection 2 has nothing to check")

	late := checkSubscriptions(record(withSub(orders(1)), append(orders(2), subscribeMsg)), 2)
	assert.ErrorContains(t, late.Err, "connection 2 did not begin with the subscription")

	twice := checkSubscriptions(record(withSub(withSub(nil))), 1)
	assert.ErrorContains(t, twice.Err, "connection 1 carried 2 subscriptions")
}

func TestTape(t *testing.T) {
	var tp tape
	feed := func(conn uint64, seqs ...uint64) {
		for _, s := range seqs {
			tp.add(client.Inbound{Type: transport.MessageText, Conn: conn, Payload: []byte(`{"seq":` + strconv.FormatUint(s, 10) + `}`)})
		}
	}
	feed(1, 1, 2, 3)
	feed(2, 4, 5)    // continues across the reconnect: no gap
	feed(3, 8, 9, 9) // 6 and 7 missing at the start of 3, then a duplicate
	tp.add(client.Inbound{Type: transport.MessageText, Conn: 3, Payload: []byte(`{"subscribed":"prices"}`)})

	count, gaps, dups, missing := tp.totals()
	assert.Equal(t, 8, count)
	assert.Equal(t, 1, gaps)
	assert.Equal(t, uint64(2), missing)
	assert.Equal(t, 1, dups)
	assert.Equal(t, 1, tp.other)
	require.Len(t, tp.conns, 3)
	assert.Equal(t, connTape{Conn: 3, Count: 3, First: 8, Last: 9, Gaps: 1, Missing: 2, Dups: 1}, tp.conns[2])
}

func TestProtocol(t *testing.T) {
	id, ok := parseAck(ackMsg(1234567))
	require.True(t, ok)
	assert.Equal(t, uint64(1234567), id)
	for _, bad := range []string{`{"seq":1}`, `{"ack":}`, `{"ack":12x}`, `{"ack":1`, `{"ack":123456789012345678901}`} {
		_, ok := parseAck([]byte(bad))
		assert.False(t, ok, bad)
	}
	r, ok := parseRequest(orderMsg(7))
	require.True(t, ok)
	assert.Equal(t, request{Op: "order", ID: 7, Side: "buy", Qty: 1}, r)
	assert.True(t, isConfirm(confirmMsg))
	assert.False(t, isConfirm(subscribeMsg))
	assert.Zero(t, testing.AllocsPerRun(100, func() { _, _ = parseAck([]byte(`{"seq":42}`)) }), "parseAck runs on every price")
}

// TestByConnection: the exchange may log a late read of connection 1 after
// connection 2 has begun; the checks judge the session connection by
// connection.
func TestByConnection(t *testing.T) {
	got := record(withSub(orders(1, 2)), withSub(orders(3)))
	interleaved := []wstest.Message{got[0], got[1], got[3], got[2], got[4]} // 1:sub 1:o1 2:sub 1:o2 2:o3
	sorted := byConnection(interleaved)
	assert.Equal(t, got, sorted)
	assert.NoError(t, checkOrders(orders(1, 2, 3), nil, sorted).Err)
	assert.NoError(t, checkSubscriptions(sorted, 2).Err)
}
