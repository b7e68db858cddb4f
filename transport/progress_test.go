package transport

import (
	"context"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// linkConn is a net.Conn that plays a link of a fixed rate in virtual time,
// so a test can send megabytes through "128 KiB/s" without waiting: a write
// of n bytes costs n/rate seconds of virtual time. A write deadline set to
// t gives the writes that follow t minus the real now of virtual time; a
// write that would overrun it takes what fits and fails with a timeout, as
// a socket does. After stallAt bytes the link takes nothing more.
type linkConn struct {
	memConn
	mu       sync.Mutex
	rate     float64 // bytes per virtual second
	stallAt  int64   // bytes after which the link stops; 0: never
	taken    int64
	now      time.Duration // virtual time
	deadline time.Duration // virtual; -1 for none
	last     time.Duration // virtual time the last byte was taken
	sets     int           // deadlines set
}

func newLinkConn(rate float64, stallAt int64) *linkConn {
	return &linkConn{rate: rate, stallAt: stallAt, deadline: -1}
}

func (l *linkConn) SetWriteDeadline(t time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sets++
	if t.IsZero() {
		l.deadline = -1
		return nil
	}
	l.deadline = l.now + max(time.Until(t), 0)
	return nil
}

func (l *linkConn) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := int64(len(p))
	if l.stallAt > 0 {
		n = min(n, l.stallAt-l.taken)
	}
	if l.deadline >= 0 {
		n = min(n, int64((l.deadline-l.now).Seconds()*l.rate))
	}
	if n > 0 {
		l.now += time.Duration(float64(n) / l.rate * float64(time.Second))
		l.taken += n
		l.last = l.now
	}
	if int(n) < len(p) {
		if l.deadline < 0 {
			panic("linkConn: a stalled link with no deadline would block forever")
		}
		l.now = max(l.now, l.deadline)
		return int(n), os.ErrDeadlineExceeded
	}
	return len(p), nil
}

// A 6 MiB frame through a 128 KiB/s link takes 48 s; with a 1 s write
// timeout it goes through, since the socket keeps taking bytes (issue 18:
// the timeout bounded the whole frame, so it failed after 1 s, forever).
// Fragmentation is off, so only progress keeps the write alive.
func TestWriteTimeoutMeasuresProgress(t *testing.T) {
	for _, client := range []bool{true, false} {
		t.Run(map[bool]string{true: "client", false: "server"}[client], func(t *testing.T) {
			l := newLinkConn(128<<10, 0)
			c := newConn(connConfig{nc: l, client: client, writeTimeout: time.Second, fragmentSize: -1, noIdleReads: true})
			defer c.CloseNow()
			require.NoError(t, c.Write(context.Background(), MessageBinary, make([]byte, 6<<20)))
			l.mu.Lock()
			defer l.mu.Unlock()
			assert.Greater(t, l.now, 40*time.Second, "the write took the link's time")
			assert.Equal(t, uint64(l.taken), c.BytesWritten())
			assert.GreaterOrEqual(t, l.sets, (6<<20)/progressChunk, "the deadline moved every progressChunk")
		})
	}
}

// A link that stops taking bytes fails the write within the write timeout
// of the stop, and not much before: progress is measured every
// progressChunk, so the last deadline was set at most two chunks' worth of
// link time before the last byte.
func TestWriteTimeoutStalledLink(t *testing.T) {
	for _, client := range []bool{true, false} {
		t.Run(map[bool]string{true: "client", false: "server"}[client], func(t *testing.T) {
			const rate = 128 << 10
			l := newLinkConn(rate, 1<<20+12345)
			c := newConn(connConfig{nc: l, client: client, writeTimeout: time.Second, noIdleReads: true})
			defer c.CloseNow()
			err := c.Write(context.Background(), MessageBinary, make([]byte, 6<<20))
			var ce *CloseError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, StatusAbnormalClosure, ce.Code)
			assert.Equal(t, "write stalled past the write timeout", ce.Reason)
			l.mu.Lock()
			defer l.mu.Unlock()
			silent := l.now - l.last
			slack := time.Duration(2 * progressChunk * float64(time.Second) / rate)
			assert.LessOrEqual(t, silent, time.Second, "detected within the write timeout")
			assert.Greater(t, silent, time.Second-slack, "not before the link was silent for most of it")
			assert.Equal(t, uint64(l.taken), c.BytesWritten(), "the partial write is counted")
		})
	}
}

// A cancelled write stays cancelled while its deadline moves on: progress
// never pushes back a deadline the context's cancellation set.
func TestWriteCancelledStaysCancelled(t *testing.T) {
	l := newLinkConn(128<<10, 0)
	c := newConn(connConfig{nc: l, client: true, writeTimeout: time.Second, noIdleReads: true})
	defer c.CloseNow()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c.wr.dl.arm(ctx, time.Second)
	// The AfterFunc of a context already done runs on its own goroutine:
	// wait for it to have set the deadline in the past.
	for {
		c.wr.dl.mu.Lock()
		fired := c.wr.dl.cancelled
		c.wr.dl.mu.Unlock()
		if fired {
			break
		}
		runtime.Gosched()
	}
	c.wr.dl.progress(progressChunk)
	l.mu.Lock()
	assert.LessOrEqual(t, l.deadline, l.now, "the deadline is still in the past")
	l.mu.Unlock()
	c.wr.dl.disarm()
}

// BytesWritten counts the bytes of every frame the socket took.
func TestBytesWritten(t *testing.T) {
	cc, sc := connPair(t, connConfig{}, connConfig{})
	ctx := context.Background()
	assert.Zero(t, sc.BytesWritten())
	require.NoError(t, sc.Write(ctx, MessageText, []byte("hello")))
	assert.Equal(t, uint64(2+5), sc.BytesWritten())
	require.NoError(t, sc.Ping(ctx, []byte("p")))
	assert.Equal(t, uint64(2+5+2+1), sc.BytesWritten())
	require.NoError(t, cc.Write(ctx, MessageBinary, make([]byte, 200)))
	assert.Equal(t, uint64(2+2+4+200), cc.BytesWritten(), "a client's frames carry a mask")
}

// Over a connection that is not a socket, WriteProgress is BytesWritten.
func TestWriteProgressWithoutSocket(t *testing.T) {
	c, _ := memWriter(t, connConfig{})
	require.NoError(t, c.Write(context.Background(), MessageBinary, make([]byte, 100)))
	assert.Equal(t, c.BytesWritten(), c.WriteProgress())
	assert.Equal(t, uint64(102), c.WriteProgress())
}

// PingSpan reports the write that carried the ping: from BytesWritten
// before it to BytesWritten after, the buffered message ahead of it
// included.
func TestPingSpan(t *testing.T) {
	cc, _ := connPair(t, connConfig{noIdleReads: true}, connConfig{noIdleReads: true})
	ctx := context.Background()
	require.NoError(t, cc.Write(ctx, MessageText, []byte("hello")))
	start, end, err := cc.PingSpan(ctx, []byte("12345678"))
	require.NoError(t, err)
	assert.Equal(t, uint64(2+4+5), start, "starts after what went before")
	assert.Equal(t, start+2+4+8, end, "ends with the ping")
	assert.Equal(t, end, cc.BytesWritten())

	require.NoError(t, cc.WriteBuffered(ctx, MessageBinary, make([]byte, 100)))
	start, end, err = cc.PingSpan(ctx, nil)
	require.NoError(t, err)
	assert.Equal(t, uint64(2+4+5+2+4+8), start)
	assert.Equal(t, start+(2+4+100)+(2+4), end, "the buffered message went out ahead of the ping")

	_, _, err = cc.PingSpan(ctx, make([]byte, MaxControlPayload+1))
	assert.ErrorIs(t, err, errControlTooLong)
}
