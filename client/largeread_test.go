package client_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sturdyws/sturdy/client"
)

// TestReadManyLargeMessagesWithoutAllocating: a feed of 1 MiB messages,
// which only the reader goroutine reads (none is ever whole in the Conn's
// read buffer), read with ReadMany and the same slots passed back each
// call, allocates nothing once the buffers circulate. The reader yields
// to the Read it hands each message to, so the program gives its last
// buffer back before the reader needs a spare. Without that the reader
// ran 4 to 7 messages ahead of the program here (up to 20 in bench/,
// with the server in a process of its own), and read each message it
// found no spare for into a new megabyte: with InboundMaxBytes at 3 MiB,
// which bounds the buffers pooled too, about one message in four.
// Counted over 100 messages a run, so that even one allocation in a
// hundred shows (AllocsPerRun truncates to whole allocations a run).
func TestReadManyLargeMessagesWithoutAllocating(t *testing.T) {
	const size = 1 << 20
	ctx := testCtx(t)
	p := newPusher(t, size)
	c := start(t, ctx, nil, client.Options{URL: p.url(), DisableHeartbeat: true,
		InboundPolicy: client.InboundWait, InboundMaxBytes: 3 << 20})
	ms := make([]client.Inbound, 16)
	var last uint64
	read := func(k int) {
		for got := 0; got < k; {
			n, err := c.ReadMany(ctx, ms[:min(len(ms), k-got)])
			require.NoError(t, err)
			for _, m := range ms[:n] {
				nextInOrder(t, m, nil, size, &last)
			}
			got += n
		}
	}
	read(50) // warm up: the buffers circulate
	allocs := testing.AllocsPerRun(4, func() { read(100) })
	assert.Zero(t, allocs, "allocations per 100 messages of 1 MiB read with ReadMany")
}
