package fleet

import (
	"bufio"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sturdyws/sturdy/bench/internal/wsraw"
)

// ctl drives a Serve running in this process over pipes.
type ctl struct {
	t     *testing.T
	in    *io.PipeWriter
	lines *bufio.Scanner
	done  chan error
}

func startServe(t *testing.T) *ctl {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	c := &ctl{t: t, in: inW, lines: bufio.NewScanner(outR), done: make(chan error, 1)}
	go func() {
		err := Serve(inR, outW)
		_ = outW.Close()
		c.done <- err
	}()
	t.Cleanup(func() {
		_ = inW.Close()
		go func() { _, _ = io.Copy(io.Discard, outR) }() // what it still says
		require.NoError(t, <-c.done)
	})
	require.Equal(t, "ready", c.next())
	return c
}

func (c *ctl) next() string {
	c.t.Helper()
	require.True(c.t, c.lines.Scan(), "the server said nothing more")
	return c.lines.Text()
}

func (c *ctl) do(cmd string) string {
	c.t.Helper()
	_, err := io.WriteString(c.in, cmd+"\n")
	require.NoError(c.t, err)
	return c.next()
}

// rawMember connects to addr as member id with the benchmark's own framer.
func rawMember(t *testing.T, addr string, id int) *wsraw.Conn {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { _ = nc.Close() })
	br := bufio.NewReader(nc)
	require.NoError(t, wsraw.ClientHandshake(nc, br, addr, "/fleet?id="+strconv.Itoa(id)))
	return wsraw.NewConn(nc, br, 512, true)
}

// TestServeCounts checks what the parent relies on: pings counted per
// connection and answered, a wait that cannot come true answering an
// error when its time is up, distinct members told apart from repeated
// handshakes, every handshake in a bucket, and a close answered.
func TestServeCounts(t *testing.T) {
	c := startServe(t)
	addr, ok := strings.CutPrefix(c.do("listen 127.0.0.1:0"), "listening ")
	require.True(t, ok)
	assert.Contains(t, c.do("listen 127.0.0.1:0"), "error ", "one listener only")

	a, b := rawMember(t, addr, 0), rawMember(t, addr, 1)
	again := rawMember(t, addr, 1) // the same member twice: one more handshake, not one more member
	pingPong := func(c *wsraw.Conn) {
		t.Helper()
		require.NoError(t, c.WriteFlush(wsraw.OpPing, []byte("x")))
		h, err := wsraw.ReadHeader(c.BR)
		require.NoError(t, err)
		assert.Equal(t, byte(wsraw.OpPong), h.Op)
		_, err = c.BR.Discard(int(h.Length))
		require.NoError(t, err)
	}
	// A pong comes after its connection's handshake was counted (the
	// server counts it after writing its 101, which the client may read
	// first): every connection pings before the handshakes are asked for.
	pingPong(again)
	pingPong(a)
	pingPong(a)
	pingPong(b)
	got := strings.Fields(c.do("back 2 60000"))
	require.Len(t, got, 3)
	assert.Equal(t, "back", got[0])
	assert.Equal(t, "3", got[2], "three handshakes, two members")
	assert.Contains(t, c.do("back 3 50"), "error ", "a third member never came")

	assert.Equal(t, "pings 1 2", c.do("pings 1 2 60000"))
	assert.Equal(t, "pings 2 1", c.do("pings 2 1 60000"))
	assert.Contains(t, c.do("pings 2 2 50"), "error ", "b pinged once")
	assert.Contains(t, c.do("pings 1 0 50"), "error ")

	f := strings.Fields(c.do("buckets"))
	require.GreaterOrEqual(t, len(f), 3)
	sum := 0
	for _, x := range f[2:] {
		n, err := strconv.Atoi(x)
		require.NoError(t, err)
		sum += n
	}
	assert.Equal(t, 3, sum, "every handshake in a bucket")

	require.NoError(t, again.WriteFlush(wsraw.OpClose, []byte{0x03, 0xe8}))
	h, err := wsraw.ReadHeader(again.BR)
	require.NoError(t, err)
	assert.Equal(t, byte(wsraw.OpClose), h.Op, "a close is answered")
	assert.Contains(t, c.do("nonsense"), "error ")
}

// TestMemberID reads ids from request targets, and none from others.
func TestMemberID(t *testing.T) {
	assert.Equal(t, 12, memberID("/fleet?id=12"))
	assert.Equal(t, 3, memberID("/fleet?x=1&id=3"))
	assert.Equal(t, -1, memberID("/fleet"))
	assert.Equal(t, -1, memberID("/fleet?id=-4"))
	assert.Equal(t, -1, memberID("/fleet?id=z"))
}

// TestStorm checks the restart's figures from the times and buckets the
// processes report.
func TestStorm(t *testing.T) {
	kill := time.Unix(100, 0)
	listen := kill.Add(2 * time.Second)
	back := listen.Add(350 * time.Millisecond) // in the fourth bucket
	first := [3]int64{kill.Add(time.Millisecond).UnixNano(), kill.Add(600 * time.Millisecond).UnixNano(), kill.Add(time.Second).UnixNano()}
	s := NewStorm(kill, listen, back, 12, Attempts{Total: 30, Min: 2, Max: 4, First: first}, []int{2, 6, 0, 4, 1})
	assert.Equal(t, [3]time.Duration{time.Millisecond, 600 * time.Millisecond, time.Second}, s.FirstDial)
	assert.Equal(t, []int{2, 6, 0, 4}, s.Buckets, "the buckets after the last return are left out")
	assert.Equal(t, 2350*time.Millisecond, s.AllBack)
	assert.Equal(t, 2*time.Second, s.Listen)
	assert.Equal(t, 6, s.Peak())
	assert.InDelta(t, 2.0, s.PeakOverMean(), 1e-9, "peak 6 over a mean of 3")
	assert.InDelta(t, 3.0, s.AttemptsPer(10), 1e-9)
	assert.Zero(t, NewStorm(kill, listen, listen, 0, Attempts{}, []int{0}).PeakOverMean())
}
