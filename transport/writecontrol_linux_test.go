package transport

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// disarms returns how many times c's write deadline has been disarmed.
func disarms(c *Conn) uint32 {
	c.wr.dl.mu.Lock()
	defer c.wr.dl.mu.Unlock()
	return c.wr.dl.gen
}

// A ping over a plain socket that takes it at once arms no deadline and
// does not watch its context, whatever the context and write timeout;
// nor does the pong that answers it. Beneath TLS, or a wrapper, it
// would (tryWrite writes only to the socket itself).
func TestLoneControlArmsNothing(t *testing.T) {
	pong := make(chan struct{}, 1)
	cc, sc := connPair(t, connConfig{writeTimeout: time.Minute, onPong: func([]byte) { pong <- struct{}{} }},
		connConfig{writeTimeout: time.Minute})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	read := make(chan struct{})
	go func() { // answers the ping, then reads a data message
		_, _, _ = sc.Read(context.Background())
		close(read)
	}()
	go func() { _, _, _ = cc.Read(context.Background()) }() // reads the pong
	require.NoError(t, cc.Ping(ctx, []byte("12345678")))
	assert.Equal(t, uint64(2+4+8), cc.BytesWritten())
	<-pong
	assert.Zero(t, disarms(cc), "the ping armed no deadline")
	// The pong reached the client before the server's count of what it
	// wrote was updated, maybe: the server's reader answers the ping
	// before it reads on, so the data message it returns comes after.
	require.NoError(t, cc.Write(ctx, MessageText, []byte("after")))
	<-read
	assert.Equal(t, uint64(2+8), sc.BytesWritten(), "the pong went out")
	assert.Zero(t, disarms(sc), "the pong armed no deadline")

	// With a message in the write buffer the ping goes out with it, as
	// before, under the deadlines.
	require.NoError(t, cc.WriteBuffered(ctx, MessageText, []byte("x")))
	before := disarms(cc)
	require.NoError(t, cc.Ping(ctx, nil))
	assert.Equal(t, before+1, disarms(cc))
}

// A control frame the socket cannot take at once (its send buffer is
// full: the peer does not read) waits under its context as any write
// does, and gives up when the context does.
func TestLoneControlBlockedHonoursContext(t *testing.T) {
	a, _ := smallWindowPair(t) // the peer never reads
	fillSendBuffer(t, a.(*net.TCPConn))
	c := newConn(connConfig{nc: a, client: true, noIdleReads: true})
	defer c.CloseNow()
	written := c.BytesWritten()

	// Were the first try to wait for room, the ping would hang here.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err := c.Ping(ctx, []byte("12345678"))
	assert.True(t, errors.Is(err, context.DeadlineExceeded), "got %v, want context.DeadlineExceeded", err)
	assert.Less(t, c.BytesWritten()-written, uint64(2+4+8), "the ping did not go out whole")
}

// TestLonePingAllocatesNothing: a ping offered to the socket at once, and
// the pong that answers it, allocate nothing: the function the socket's
// RawConn calls is made once per connection (rawWriter), not per frame.
// An idle connection's heartbeat so leaves no garbage, nor does each
// confirmation ping of a Client whose queue runs dry.
func TestLonePingAllocatesNothing(t *testing.T) {
	pong := make(chan struct{}, 1)
	cc, sc := connPair(t, connConfig{onPong: func([]byte) { pong <- struct{}{} }}, connConfig{})
	go func() { _, _, _ = sc.Read(context.Background()) }() // answers each ping
	go func() { _, _, _ = cc.Read(context.Background()) }() // reads the pongs
	ctx, p := context.Background(), []byte("12345678")
	allocs := testing.AllocsPerRun(200, func() {
		require.NoError(t, cc.Ping(ctx, p))
		<-pong
	})
	assert.LessOrEqual(t, allocs, float64(raceAllocs), "a ping and its pong")
}
