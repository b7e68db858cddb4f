package transport

import (
	"bytes"
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pingLog records the payloads of the pings a server Conn reads, in
// order, and signals each.
type pingLog struct {
	mu   sync.Mutex
	got  [][]byte
	seen chan struct{}
}

func newPingLog() *pingLog { return &pingLog{seen: make(chan struct{}, 16)} }

func (l *pingLog) onPing(p []byte) {
	l.mu.Lock()
	l.got = append(l.got, bytes.Clone(p))
	l.mu.Unlock()
	l.seen <- struct{}{}
}

func (l *pingLog) payloads() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var s []string
	for _, p := range l.got {
		s = append(s, string(p))
	}
	return s
}

// A write whose context is done before it puts anything on the wire ends
// only that call: it returns the context's error, writes nothing and
// leaves the connection usable, however often it is tried (a done
// context used to race the write's own deadline: the message went out,
// or the connection failed with nothing written). What the peer reads
// afterwards is exactly what was written with a live context.
func TestCancelledWriteLeavesTheConnection(t *testing.T) {
	dead, cancel := context.WithCancel(context.Background())
	cancel()
	live := context.Background()
	for _, tc := range []struct {
		name string
		call func(c *Conn) error
	}{
		{"Write", func(c *Conn) error { return c.Write(dead, MessageText, []byte("lost")) }},
		{"WriteBuffered", func(c *Conn) error { return c.WriteBuffered(dead, MessageText, []byte("lost")) }},
		{"Ping", func(c *Conn) error { return c.Ping(dead, []byte("lost")) }},
		{"PingSpan", func(c *Conn) error { _, _, err := c.PingSpan(dead, []byte("lost")); return err }},
		{"Writer", func(c *Conn) error { _, err := c.Writer(dead, MessageText); return err }},
		{"Flush", func(c *Conn) error { return c.Flush(dead) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pings := newPingLog()
			cc, sc := connPair(t, connConfig{}, connConfig{onPing: pings.onPing})
			require.NoError(t, cc.WriteBuffered(live, MessageText, []byte("held"))) // for Flush to have something
			before := cc.BytesWritten()
			for range 200 {
				require.ErrorIs(t, tc.call(cc), context.Canceled)
			}
			assert.NoError(t, cc.Err(), "the connection is intact")
			assert.Equal(t, before, cc.BytesWritten(), "nothing written")
			require.NoError(t, cc.Write(live, MessageText, []byte("after")))
			for _, want := range []string{"held", "after"} {
				_, p, err := sc.Read(live)
				require.NoError(t, err)
				assert.Equal(t, want, string(p))
			}
			assert.Empty(t, pings.payloads(), "no ping went")
		})
	}
}
