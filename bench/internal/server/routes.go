package server

import (
	"bufio"
	"fmt"
	"net"
	"net/url"
	"strconv"

	"github.com/sturdyws/sturdy/bench/internal/payload"
	"github.com/sturdyws/sturdy/bench/internal/wsraw"
)

// connState is one accepted connection after its handshake.
type connState struct {
	*wsraw.Conn
	path  string
	query url.Values
	// deflate: permessage-deflate was negotiated (deflate.go).
	deflate bool
}

func newConnState(nc net.Conn, br *bufio.Reader, target string) *connState {
	u, err := url.ParseRequestURI(target)
	if err != nil {
		u = &url.URL{Path: target}
	}
	return &connState{Conn: wsraw.NewConn(nc, br, writeBuffer, false), path: u.Path, query: u.Query()}
}

// intParam reads a non-negative integer query parameter.
func (c *connState) intParam(name string) int {
	n, err := strconv.Atoi(c.query.Get(name))
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// route picks the behaviour from the path.
func (s *server) route(c *connState) {
	switch c.path {
	case "/push":
		c.push()
	case "/echo":
		c.echo()
	case "/sink":
		c.sink()
	case "/push-deflate", "/push-deflate-ctx":
		c.pushDeflate()
	case "/sink-deflate", "/sink-deflate-ctx":
		c.sinkDeflate()
	case "/idle":
		c.idle()
	default:
		c.drain()
	}
}

// push sends size-byte binary messages numbered from 0, as fast as the
// socket takes them. With count, it waits for the client's go-ahead,
// sends count messages and drains until the client closes. Without, it
// serves bursts: each message from the client is a decimal number K, and
// the server sends the next K messages, numbered on from the last burst,
// then waits for the next request.
func (c *connState) push() {
	size := max(c.intParam("size"), payload.Min)
	p := payload.New(size)
	var seq uint64
	send := func(k int) bool {
		for range k {
			payload.Stamp(p, seq)
			seq++
			if c.WriteMessage(wsraw.OpBinary, p) != nil {
				return false
			}
		}
		return c.Flush() == nil
	}
	if c.query.Has("count") {
		if _, _, err := c.ReadMessage(); err != nil || !send(c.intParam("count")) {
			return
		}
		c.drain()
		return
	}
	for {
		_, req, err := c.ReadMessage()
		if err != nil {
			return
		}
		k, err := strconv.Atoi(string(req))
		if err != nil || k < 0 || !send(k) {
			return
		}
	}
}

// echo sends every message back, flushing when no more input is waiting,
// so a pipelining client is answered in batches and a sequential one at
// once.
func (c *connState) echo() {
	for {
		op, p, err := c.ReadMessage()
		if err != nil {
			return
		}
		if err := c.WriteMessage(op, p); err != nil {
			return
		}
		if c.BR.Buffered() == 0 && c.Flush() != nil {
			return
		}
	}
}

// sink reads count messages, checks them when asked to, and acknowledges
// the last one with a text message.
func (c *connState) sink() {
	count, size, verify := c.intParam("count"), c.intParam("size"), c.query.Get("verify") == "1"
	var bad error
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
		if bad == nil && op != wsraw.OpBinary {
			bad = fmt.Errorf("message %d: opcode %d, want binary", i, op)
		}
		if bad == nil {
			bad = payload.Check(p, size, uint64(i))
		}
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

// drain reads and drops messages until the connection ends; control
// frames are answered on the way.
// idle pings the client once, as a server's heartbeat would, then drains:
// what a connection keeps after answering a heartbeat is its steady
// state, which the idle scenario measures.
func (c *connState) idle() {
	if c.WriteFlush(wsraw.OpPing, []byte("heartbeat")) != nil {
		return
	}
	c.drain()
}

func (c *connState) drain() {
	for {
		if _, _, err := c.DiscardMessage(); err != nil {
			return
		}
	}
}
