package server

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/sturdyws/sturdy/bench/internal/payload"
	"github.com/sturdyws/sturdy/bench/internal/wsraw"
)

// The compressed routes, JSON-like messages (text when pushed; binary
// when sunk, since drivers' Send writes binary) with permessage-deflate:
// /push-deflate and /sink-deflate with no context takeover either way
// (wsraw.DeflateResponse), the -ctx routes with both contexts kept
// (wsraw.DeflateResponseContext).

// deflateResponse returns the answer to a permessage-deflate offer: none
// outside the compressed routes, so the other scenarios run as before.
func deflateResponse(target, offer string) string {
	path, _, _ := strings.Cut(target, "?")
	switch {
	case !wsraw.OffersDeflate(offer):
		return ""
	case strings.HasSuffix(path, "-deflate"):
		return wsraw.DeflateResponse
	case strings.HasSuffix(path, "-deflate-ctx"):
		return wsraw.DeflateResponseContext
	}
	return ""
}

// keepContext reports whether the route keeps compression contexts.
func (c *connState) keepContext() bool { return strings.HasSuffix(c.path, "-ctx") }

// pushDeflate is push with compressed JSON messages, all compressed
// before the go-ahead so that the server's compressor never limits the
// client being measured. Without context takeover the payloads cycle
// through payload.JSONRing messages compressed once each (every message
// still reaches the client compressed on its own, to be decompressed in
// full); with it, the whole stream is compressed ahead, in order, through
// one context. The server says "ready" (uncompressed) when it is done,
// then waits for the client's go-ahead.
func (c *connState) pushDeflate() {
	if !c.deflate {
		return // the client did not offer compression: drop it, it fails
	}
	size, count := max(c.intParam("size"), payload.Min+8), c.intParam("count")
	n := min(count, payload.JSONRing)
	if c.keepContext() {
		c.KeepContext()
		n = count
	}
	ring := make([][]byte, n)
	for i := range ring {
		ring[i] = bytes.Clone(c.Compress(payload.JSON(size, uint64(i%payload.JSONRing))))
	}
	// "ready" tells the client the preparation is over, so its clock,
	// started with its go-ahead, leaves it out.
	if c.WriteFlush(wsraw.OpText, []byte("ready")) != nil {
		return
	}
	if _, _, err := c.ReadMessage(); err != nil {
		return
	}
	for i := range count {
		if err := c.WriteCompressed(wsraw.OpText, ring[i%len(ring)]); err != nil {
			return
		}
	}
	if c.Flush() != nil {
		return
	}
	c.drain()
}

// sinkDeflate is sink for compressed JSON messages: it reads count
// messages (inflating and checking each when asked to) and acknowledges
// the last one.
func (c *connState) sinkDeflate() {
	if !c.deflate {
		return
	}
	count, size, verify := c.intParam("count"), c.intParam("size"), c.query.Get("verify") == "1"
	if c.keepContext() {
		c.KeepContext()
	}
	var bad error
	compressed := 0
	for i := range count {
		if !verify {
			if _, _, err := c.DiscardMessage(); err != nil {
				return
			}
			continue
		}
		op, p, err := c.ReadMessage()
		if err != nil {
			return
		}
		if c.Compressed {
			compressed++
			if p, err = c.Inflate(p); err != nil && bad == nil {
				bad = fmt.Errorf("message %d: %w", i, err)
			}
		}
		if bad == nil && op != wsraw.OpBinary {
			bad = fmt.Errorf("message %d: opcode %d, want binary (drivers' Send)", i, op)
		}
		if bad == nil {
			bad = payload.CheckJSON(p, size, uint64(i%payload.JSONRing))
		}
	}
	if verify && bad == nil && compressed != count {
		bad = fmt.Errorf("%d of %d messages came compressed, want all", compressed, count)
	}
	ack := "ok " + strconv.Itoa(count)
	if bad != nil {
		ack = "bad: " + bad.Error()
	}
	if c.WriteFlush(wsraw.OpText, []byte(ack)) != nil {
		return
	}
	c.drain()
}
