package client_test

import (
	"runtime"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sturdyws/sturdy/client"
)

// TestReleaseReadsWithoutAllocating: a program that releases every
// message it has read receives without allocating, once the buffers it
// gave back circulate.
func TestReleaseReadsWithoutAllocating(t *testing.T) {
	ctx := testCtx(t)
	p := newPusher(t, 256)
	c := start(t, ctx, nil, client.Options{URL: p.url(), DisableHeartbeat: true, InboundPolicy: client.InboundWait})
	var last uint64
	read := func() {
		m, err := c.Read(ctx)
		nextInOrder(t, m, err, 256, &last)
		c.Release(m)
	}
	for range 1000 { // warm up: the free list fills
		read()
	}
	allocs := testing.AllocsPerRun(2000, read)
	assert.Zero(t, allocs, "allocations per message read and released")
}

// nextInOrder fails t unless m, read with err, is the intact message of
// size bytes numbered after *last, which it then becomes.
func nextInOrder(t *testing.T, m client.Inbound, err error, size int, last *uint64) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	n, ok := stampOf(m.Payload)
	if !ok || n != *last+1 || len(m.Payload) != size {
		t.Fatalf("message %d (intact %v, %d bytes) after %d", n, ok, len(m.Payload), *last)
	}
	*last = n
}

// TestPayloadOwnership: a payload the program holds stays intact however
// many messages arrive after it, whatever it releases meanwhile, and no
// two messages it holds share memory.
func TestPayloadOwnership(t *testing.T) {
	ctx := testCtx(t)
	p := newPusher(t, 100)
	c := start(t, ctx, nil, client.Options{URL: p.url(), DisableHeartbeat: true, InboundPolicy: client.InboundWait, InboundBuffer: 8})
	var held []client.Inbound
	for i := range 5000 {
		m, err := c.Read(ctx)
		require.NoError(t, err)
		held = append(held, m)
		if i%3 == 0 {
			// Release the oldest, out of the order they came in.
			c.Release(held[0])
			held = held[1:]
		}
		if len(held) > 40 {
			for _, h := range held[:20] {
				c.Release(h)
			}
			held = held[20:]
		}
		seen := map[*byte]uint64{}
		for _, h := range held {
			n, ok := stampOf(h.Payload)
			require.True(t, ok, "message %d overwritten while the program held it", n)
			d := unsafe.SliceData(h.Payload)
			// A map lookup: testify's NotContains compares pointers by
			// the bytes they point at, so two buffers starting with the
			// same byte would look shared.
			if other, dup := seen[d]; dup {
				t.Fatalf("held messages %d and %d share a buffer", other, n)
			}
			seen[d] = n
		}
	}
	assert.Zero(t, c.Stats().InboundDropped)
}

// TestBurstyReaderReadsWithoutAllocating: a program that lets the inbox
// fill (the reader then waits, holding a batch read ahead) and then reads
// and releases everything, again and again, receives without allocating:
// the buffers a full inbox and the reader's batch return when they drain
// are all kept for the next burst, not dropped and made again.
func TestBurstyReaderReadsWithoutAllocating(t *testing.T) {
	ctx := testCtx(t)
	p := newPusher(t, 64)
	c := start(t, ctx, nil, client.Options{URL: p.url(), DisableHeartbeat: true, InboundPolicy: client.InboundWait, InboundBuffer: 16})
	burst := func() {
		// Polled without a timer (a timer would allocate): the reader
		// stalls within microseconds of the last Read.
		for !c.Stats().ReaderStalled {
			if ctx.Err() != nil {
				t.Fatal("the reader never stalled")
			}
			runtime.Gosched()
		}
		for range 400 {
			m, err := c.Read(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := stampOf(m.Payload); !ok {
				t.Fatal("damaged payload")
			}
			c.Release(m)
		}
	}
	for range 5 { // warm up: the buffers a burst needs come to exist
		burst()
	}
	allocs := testing.AllocsPerRun(10, burst)
	assert.Zero(t, allocs, "allocations per burst of 400 messages")
}
