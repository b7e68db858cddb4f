package client_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sturdyws/sturdy/client"
	"github.com/sturdyws/sturdy/transport"
)

// TestInboundUnderFire reads a fast feed that the server cuts every few
// thousand messages (the Client reconnects), with several goroutines
// calling Read at once, each holding a few messages for a while and
// releasing them out of order, under each overflow policy and a small
// inbox, so the reader hands over batches, drops, waits and swaps buffers
// all the time. Every payload must stay intact for as long as its reader
// holds it (a buffer handed to two owners is overwritten by the next
// message read into it), no message may arrive twice, messages of one
// connection come in order and never after those of a later connection,
// and without a drop policy none is lost.
func TestInboundUnderFire(t *testing.T) {
	for _, policy := range []client.InboundPolicy{client.InboundWait, client.InboundDropOldest, client.InboundDropNewest} {
		t.Run(policy.String(), func(t *testing.T) { inboundUnderFire(t, policy) })
	}
}

func inboundUnderFire(t *testing.T, policy client.InboundPolicy) {
	const perConn, conns, readers = 3000, 4, 3
	ctx := testCtx(t)
	feed := newCuttingPusher(t, 100, perConn)
	c := start(t, ctx, nil, client.Options{
		URL: feed.url(), DisableHeartbeat: true, Backoff: fastBackoff(),
		InboundPolicy: policy, InboundBuffer: 8,
	})
	type key struct{ conn, seq uint64 }
	var (
		mu     sync.Mutex
		seen   = map[key]bool{}
		total  atomic.Int64
		failed atomic.Value
	)
	fail := func(err error) { failed.CompareAndSwap(nil, err) }
	var wg sync.WaitGroup
	for r := range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var held []client.Inbound
			var last key
			check := func() bool {
				for _, h := range held {
					if _, ok := stampOf(h.Payload); !ok || len(h.Payload) != 100 {
						fail(errors.New("a payload changed while its reader held it"))
						return false
					}
				}
				return true
			}
			for i := 0; ; i++ {
				m, err := c.Read(ctx)
				if err != nil {
					return
				}
				n, ok := stampOf(m.Payload)
				k := key{m.Conn, n}
				switch {
				case !ok:
					fail(errors.New("a payload was damaged before Read returned it"))
				case k.conn < last.conn || k.conn == last.conn && k.seq <= last.seq:
					fail(errors.New("messages out of order"))
				}
				last = k
				mu.Lock()
				if seen[k] {
					fail(errors.New("a message arrived twice"))
				}
				seen[k] = true
				mu.Unlock()
				total.Add(1)
				held = append(held, m)
				if !check() {
					return
				}
				// Release some, out of order: the newest every other
				// time, else the oldest, keeping up to 5+r held.
				for len(held) > 5+r {
					j := 0
					if i%2 == 0 {
						j = len(held) - 1
					}
					c.Release(held[j])
					held = append(held[:j], held[j+1:]...)
				}
			}
		}()
	}
	// Wait until the feed has cut the connection conns times and every
	// reader has seen a good share, then stop.
	waitStats(t, ctx, c, func(s client.Stats) bool {
		return feed.served.Load() > conns && s.Reconnects >= conns && total.Load() > 3*perConn
	})
	_ = c.Close()
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		t.Fatal(err)
	}
	s := c.Stats()
	if policy == client.InboundWait {
		assert.Zero(t, s.InboundDropped)
	}
	assert.Equal(t, uint64(total.Load()), s.Received)
	// Messages never held by the inbox and never read are the feed's
	// that were in flight when a connection was cut.
	assert.LessOrEqual(t, int64(s.Received)+int64(s.InboundDropped), feed.sent.Load())
}

// cuttingPusher is a feed that writes perConn stamped messages (numbered
// from 1 on every connection) as fast as the connection takes them and
// then drops the connection without a closing handshake.
type cuttingPusher struct {
	srv          *httptest.Server
	served, sent atomic.Int64
	wg           sync.WaitGroup
}

func newCuttingPusher(t *testing.T, size, perConn int) *cuttingPusher {
	p := &cuttingPusher{}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := transport.Accept(w, r, &transport.AcceptOptions{NoIdleReads: true})
		if err != nil {
			return
		}
		p.wg.Add(1)
		defer p.wg.Done()
		defer conn.CloseNow()
		p.served.Add(1)
		msg := make([]byte, size)
		for i := uint64(1); i <= uint64(perConn); i++ {
			stamp(msg, i)
			if conn.WriteBuffered(context.Background(), transport.MessageBinary, msg) != nil {
				return
			}
			p.sent.Add(1)
			if i%64 == 0 && conn.Flush(context.Background()) != nil {
				return
			}
		}
		_ = conn.Flush(context.Background())
	}))
	t.Cleanup(func() {
		p.srv.CloseClientConnections()
		p.srv.Close()
		p.wg.Wait()
	})
	return p
}

func (p *cuttingPusher) url() string { return "ws" + strings.TrimPrefix(p.srv.URL, "http") }

// TestReleasedBufferNotSharedAcrossHandOver: with one reader holding
// every message it reads until the end, no two of them may share memory,
// however the reader batched them, while the buffers released before
// circulate.
func TestReleasedBufferNotSharedAcrossHandOver(t *testing.T) {
	ctx := testCtx(t)
	p := newPusher(t, 64)
	c := start(t, ctx, nil, client.Options{URL: p.url(), DisableHeartbeat: true, InboundPolicy: client.InboundWait, InboundBuffer: 64})
	// Circulate buffers first.
	for range 2000 {
		m, err := c.Read(ctx)
		require.NoError(t, err)
		c.Release(m)
	}
	held := map[*byte]uint64{}
	for range 3000 {
		m, err := c.Read(ctx)
		require.NoError(t, err)
		n, ok := stampOf(m.Payload)
		require.True(t, ok)
		d := unsafe.SliceData(m.Payload)
		if other, dup := held[d]; dup { // a map lookup: testify's Contains compares pointers by the bytes they point at
			t.Fatalf("message %d shares a buffer with message %d, still held", n, other)
		}
		held[d] = n
	}
}
