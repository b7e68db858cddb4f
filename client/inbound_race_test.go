package client_test

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sturdyws/sturdy/client"
)

// TestInboundUnderFire reads a fast feed that the server cuts every few
// thousand messages (the Client reconnects), with several goroutines
// calling Read, ReadInto and ReadMany at once, each holding a few messages for a while and
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
			// Reader 0 uses ReadMany, reader 1 ReadInto (with a payload
			// it gave up, or none), the others Read.
			var batch []client.Inbound
			var spare []byte
			next := func() (client.Inbound, error) {
				switch {
				case r == 0 && len(batch) == 0:
					ms := make([]client.Inbound, 4)
					ms[0].Payload, spare = spare, nil
					n, err := c.ReadMany(ctx, ms)
					if err != nil {
						return client.Inbound{}, err
					}
					batch = ms[:n]
				case r == 1:
					m, err := c.ReadInto(ctx, spare)
					spare = nil
					return m, err
				case r != 0:
					return c.Read(ctx)
				}
				m := batch[0]
				batch = batch[1:]
				return m, nil
			}
			for i := 0; ; i++ {
				m, err := next()
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
					if r < 2 && spare == nil {
						spare = held[j].Payload // given up with the next read
					} else {
						c.Release(held[j])
					}
					held = append(held[:j], held[j+1:]...)
				}
			}
		}()
	}
	// Wait until the feed has cut the connection conns times and the
	// readers have read a good share, or one of them has failed (and
	// stopped reading), then stop.
	waitStats(t, ctx, c, func(s client.Stats) bool {
		return failed.Load() != nil || feed.served.Load() > conns && s.Reconnects >= conns && total.Load() > 3*perConn
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
