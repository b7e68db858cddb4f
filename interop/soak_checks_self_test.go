package interop

import (
	"bytes"
	"encoding/binary"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sturdyws/sturdy/client"
)

// The soak's checks are only as good as their power to fail. These tests
// feed them made-up runs with the bugs they are named for, and clean runs
// they must pass, in milliseconds, so a check that went blind fails here
// rather than passing a soak.

// maskedFrame builds a client frame: masked, with the shortest length
// encoding.
func maskedFrame(fin bool, rsv, op byte, payload []byte, key [4]byte) []byte {
	b0 := op | rsv
	if fin {
		b0 |= 0x80
	}
	f := []byte{b0}
	switch n := len(payload); {
	case n < 126:
		f = append(f, 0x80|byte(n))
	case n < 1<<16:
		f = append(f, 0x80|126)
		f = binary.BigEndian.AppendUint16(f, uint16(n))
	default:
		f = append(f, 0x80|127)
		f = binary.BigEndian.AppendUint64(f, uint64(n))
	}
	f = append(f, key[:]...)
	for i, c := range payload {
		f = append(f, c^key[i%4])
	}
	return f
}

// TestSoakWireParser feeds the recorder's parser one client stream cut
// into Writes of every size from 1 byte to all at once: each data message
// must come out whole, once, stamped with the Write that carried its first
// byte, whatever the cut, with control frames between fragments skipped.
func TestSoakWireParser(t *testing.T) {
	key := [4]byte{0x37, 0xfa, 0x21, 0x3d}
	big := bytes.Repeat([]byte("x"), 300)     // 16-bit length
	huge := bytes.Repeat([]byte("y"), 70_000) // 64-bit length
	var stream []byte
	var want [][]byte
	var starts []int // offset of each message's first byte
	add := func(f []byte, msg []byte) {
		if msg != nil {
			want = append(want, msg)
			starts = append(starts, len(stream))
		}
		stream = append(stream, f...)
	}
	add([]byte("GET /soak HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n"), nil)
	add(maskedFrame(true, 0, 1, []byte("1:100"), key), []byte("1:100"))
	add(maskedFrame(true, 0, 9, []byte("ping"), key), nil)
	add(maskedFrame(false, 0, 1, []byte("2:"), key), []byte("2:200"))
	add(maskedFrame(true, 0, 10, nil, key), nil) // a control frame between fragments
	add(maskedFrame(true, 0, 0, []byte("200"), key), nil)
	add(maskedFrame(true, 0, 2, big, key), big)
	add(maskedFrame(true, 0, 1, huge, key), huge)
	add(maskedFrame(true, 0, 8, []byte{0x03, 0xe8}, key), nil)

	base := time.Unix(1_000_000, 0)
	for _, size := range []int{1, 2, 3, 5, 7, 13, 64, 4096, len(stream)} {
		type got struct {
			at      time.Time
			payload []byte
		}
		var out []got
		p := wireParser{
			message: func(at time.Time, b []byte) { out = append(out, got{at, append([]byte(nil), b...)}) },
			fail:    func(err error) { t.Errorf("size %d: %v", size, err) },
		}
		// The i-th Write happens at base + i ms.
		for i, off := 0, 0; off < len(stream); i, off = i+1, off+size {
			p.feed(base.Add(time.Duration(i)*time.Millisecond), stream[off:min(off+size, len(stream))])
		}
		require.Len(t, out, len(want), "size %d", size)
		for i := range want {
			assert.Equal(t, want[i], out[i].payload, "size %d, message %d", size, i)
			wantAt := base.Add(time.Duration(starts[i]/size) * time.Millisecond)
			assert.Equal(t, wantAt, out[i].at, "size %d, message %d: time of the Write carrying its first byte", size, i)
		}
	}
}

// TestSoakWireParserRejects: frames a client must never write are reported,
// not skipped.
func TestSoakWireParserRejects(t *testing.T) {
	req := []byte("GET / HTTP/1.1\r\n\r\n")
	key := [4]byte{1, 2, 3, 4}
	unmasked := maskedFrame(true, 0, 1, []byte("1:1"), key)
	unmasked[1] &^= 0x80
	for name, f := range map[string][]byte{
		"unmasked":           unmasked,
		"rsv1":               maskedFrame(true, 0x40, 1, []byte("1:1"), key),
		"reserved opcode":    maskedFrame(true, 0, 3, nil, key),
		"stray continuation": maskedFrame(true, 0, 0, []byte("1:1"), key),
		"data inside a fragmented message": append(maskedFrame(false, 0, 1, []byte("1:"), key),
			maskedFrame(true, 0, 1, []byte("2:2"), key)...),
	} {
		var errs []error
		p := wireParser{message: func(time.Time, []byte) {}, fail: func(err error) { errs = append(errs, err) }}
		p.feed(time.Now(), append(append([]byte(nil), req...), f...))
		assert.Len(t, errs, 1, name)
	}

	l := newWireLog()
	l.message(time.Now(), []byte("not a soak message"))
	_, errs := l.snapshot()
	assert.Len(t, errs, 1, "a data message that is not a soak message")
}

// TestSoakCheckWire: a message written late, one written twice (in
// at-most-once mode) and one the server read but the recorder never saw
// each fail; a clean record passes.
func TestSoakCheckWire(t *testing.T) {
	t0 := time.Unix(1_000_000, 0)
	const maxAge, slack = 500 * time.Millisecond, 50 * time.Millisecond
	ok := map[uint64]wireWrite{
		1: {sent: t0, latest: t0.Add(10 * time.Millisecond), count: 1},
		2: {sent: t0, latest: t0.Add(maxAge + slack), count: 1},
	}
	log := []received{{conn: 1, n: 1}, {conn: 1, n: 2}}
	oldest, err := checkWire(log, ok, true, maxAge, slack)
	require.NoError(t, err)
	assert.Equal(t, maxAge+slack, oldest)

	late := map[uint64]wireWrite{1: ok[1], 2: {sent: t0, latest: t0.Add(maxAge + slack + time.Millisecond), count: 1}}
	_, err = checkWire(log, late, true, maxAge, slack)
	assert.ErrorContains(t, err, "more than MaxAge")
	_, err = checkWire(log, late, false, 0, slack)
	assert.NoError(t, err, "without a MaxAge the age is not checked")

	twice := map[uint64]wireWrite{1: ok[1], 2: {sent: t0, latest: t0, count: 2}}
	_, err = checkWire(log, twice, true, maxAge, slack)
	assert.ErrorContains(t, err, "more than once")
	_, err = checkWire(log, twice, false, 0, slack)
	assert.NoError(t, err, "at-least-once replays are written again")

	_, err = checkWire(append(log, received{conn: 2, n: 3}), ok, true, maxAge, slack)
	assert.ErrorContains(t, err, "never saw written")
}

// TestSoakCheckAtMostOnce: a message dead-lettered for any reason but
// Unconfirmed that arrived is listed; an unconfirmed one that arrived is
// not.
func TestSoakCheckAtMostOnce(t *testing.T) {
	log := []received{{conn: 1, n: 1}, {conn: 1, n: 2}, {conn: 1, n: 3}, {conn: 1, n: 4}}
	dead := []client.DeadLetter{
		{Seq: 1, Reason: client.ReasonUnconfirmed},
		{Seq: 2, Reason: client.ReasonExpired},
		{Seq: 3, Reason: client.ReasonClosed},
		{Seq: 4, Reason: client.ReasonOverflow},
		{Seq: 5, Reason: client.ReasonClosed},
	}
	res, err := checkAtMostOnce(log, dead, 5)
	require.NoError(t, err)
	assert.Equal(t, []uint64{2}, res.expiredArrived)
	require.Len(t, res.neverSentArrived, 2)
	assert.Equal(t, uint64(3), res.neverSentArrived[0].Seq)
	assert.Equal(t, uint64(4), res.neverSentArrived[1].Seq)
}

// transitions builds a made-up run of state changes for checkTransitions:
// each connection lasts up before it drops, and the client then waits the
// given delay (after a failed attempt when up is negative).
type transitions struct {
	at      time.Time
	state   client.State
	changes []client.StateChange
	dials   int64
}

func newTransitions() *transitions {
	return &transitions{at: time.Unix(1_000_000, 0), state: client.Connecting, dials: 1}
}

func (r *transitions) to(s client.State, after, delay time.Duration) {
	r.at = r.at.Add(after)
	r.changes = append(r.changes, client.StateChange{From: r.state, To: s, Delay: delay, At: r.at})
	r.state = s
	if s == client.Connecting {
		r.dials++
	}
}

// cycle is one connection that stays up for up (none when up < 0), then
// the backoff wait of delay, then the next attempt.
func (r *transitions) cycle(up, delay time.Duration) {
	if up >= 0 {
		r.to(client.Connected, time.Millisecond, 0)
		r.to(client.Reconnecting, up, delay)
	} else {
		r.to(client.Reconnecting, time.Millisecond, delay)
	}
	r.to(client.Connecting, delay, 0)
}

func (r *transitions) check(stable time.Duration) error {
	r.to(client.Closed, time.Millisecond, 0)
	return checkTransitions(r.changes, r.dials, stable)
}

// TestSoakCheckTransitions: against a server that accepts and drops at
// once, a client that keeps its backoff growing passes and one that resets
// it on every connect (a hot loop) fails; after a connection that outlived
// StablePeriod, a client that reset passes and one that did not fails; in
// the span where the time stamps cannot tell, both pass.
func TestSoakCheckTransitions(t *testing.T) {
	const stable = time.Second
	growing := []time.Duration{10, 20, 40, 80, 160, 250, 250}
	ms := func(d time.Duration) time.Duration { return d * time.Millisecond }

	r := newTransitions()
	for _, d := range growing {
		r.cycle(ms(50), ms(d))
	}
	assert.NoError(t, r.check(stable), "growing backoff across short connections")

	r = newTransitions()
	for range growing {
		r.cycle(ms(50), ms(10))
	}
	assert.ErrorContains(t, r.check(stable), "outside", "backoff reset on every connect")

	r = newTransitions()
	r.cycle(-1, ms(10))
	r.cycle(-1, ms(20))
	r.cycle(-1, ms(40))
	r.cycle(2*stable, ms(10))
	assert.NoError(t, r.check(stable), "reset after a stable connection")

	r = newTransitions()
	for _, d := range growing {
		r.cycle(-1, ms(d))
	}
	r.cycle(2*stable, ms(250))
	assert.ErrorContains(t, r.check(stable), "outside", "no reset after a stable connection")

	for _, d := range []time.Duration{10, 250} {
		r = newTransitions()
		for _, d := range growing {
			r.cycle(-1, ms(d))
		}
		r.cycle(stable+ms(100), ms(d))
		assert.NoError(t, r.check(stable), "a connection of StablePeriod + 100 ms, then %v ms", d)
	}
}

// TestSoakServerRejects: the soak server reports a message it cannot parse
// (or one of the wrong type) instead of skipping it.
func TestSoakServerRejects(t *testing.T) {
	s := &soakServer{ack: true}
	peer := s.start(t, "127.0.0.1:0")
	c, _, err := websocket.DefaultDialer.Dial("ws://"+peer.addr()+"/soak", nil)
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.WriteMessage(websocket.TextMessage, []byte("garbage")))
	require.NoError(t, c.WriteMessage(websocket.BinaryMessage, soakMessage(1, time.Now())))
	require.NoError(t, c.WriteMessage(websocket.TextMessage, soakMessage(2, time.Now())))
	// The server handles a connection's messages in order: the ack of the
	// last one means the first two have been seen.
	_, ack, err := c.ReadMessage()
	require.NoError(t, err)
	require.Equal(t, "ack:2", string(ack))
	err = s.badMessages()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "read 2 messages")
	assert.Contains(t, err.Error(), `"garbage"`)
}

// TestCheckAtLeastOnceSkips: an ack-happy server may make a replay skip
// numbers it already has, never one it lacks, and never go back.
func TestCheckAtLeastOnceSkips(t *testing.T) {
	conn := func(c int, ns ...uint64) (log []received) {
		for _, n := range ns {
			log = append(log, received{conn: c, n: n})
		}
		return log
	}
	skipsReceived := append(conn(1, 1, 2, 3, 4, 5), conn(2, 2, 5, 6)...)
	_, err := checkAtLeastOnce(skipsReceived, 6, true)
	require.NoError(t, err)
	_, err = checkAtLeastOnce(skipsReceived, 6, false)
	require.Error(t, err, "without an ack-happy server a skip is a gap")
	skipsMissing := append(conn(1, 1, 2, 3), conn(2, 2, 5, 6)...)
	_, err = checkAtLeastOnce(skipsMissing, 6, true)
	require.Error(t, err, "4 was never received")
	goesBack := append(conn(1, 1, 2, 3), conn(2, 3, 2, 4)...)
	_, err = checkAtLeastOnce(goesBack, 4, true)
	require.Error(t, err)
}
