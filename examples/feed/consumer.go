package main

import (
	"context"

	"github.com/sturdyws/sturdy/client"
	"github.com/sturdyws/sturdy/wstest"
)

// connTape is what one connection delivered.
type connTape struct {
	Conn        uint64
	Count       int
	First, Last uint64 // sequence numbers
	Gaps        int    // jumps forward, detected on this connection
	Missing     uint64 // numbers skipped by those jumps
	Dups        int    // numbers at or below one already seen
}

// tape checks the price stream as it is read. The exchange numbers prices
// 1, 2, 3… across connections (a reconnect does not restart the count), so
// every price must be the last one plus one: a jump is a gap (prices lost),
// a step back a duplicate or a reordering. A gap at the start of a
// connection is charged to that connection, where it was detected.
type tape struct {
	conns []connTape
	last  uint64
	other int // messages that were not prices
}

// consume reads prices until the client's session ends; only this
// goroutine touches t until it returns.
func (t *tape) consume(ctx context.Context, c *client.Client) {
	for {
		m, err := c.Read(ctx)
		if err != nil {
			return // the session ended (Close) and everything received was read
		}
		t.add(m)
	}
}

func (t *tape) add(m client.Inbound) {
	seq, ok := wstest.ParseSeq(m.Payload)
	if !ok || m.Payload[0] != '{' {
		t.other++
		return
	}
	if n := len(t.conns); n == 0 || t.conns[n-1].Conn != m.Conn {
		t.conns = append(t.conns, connTape{Conn: m.Conn, First: seq})
	}
	ct := &t.conns[len(t.conns)-1]
	ct.Count++
	switch {
	case seq == t.last+1:
	case seq > t.last+1:
		ct.Gaps++
		ct.Missing += seq - t.last - 1
	default:
		ct.Dups++
	}
	if seq > t.last {
		t.last = seq
	}
	ct.Last = seq
}

// totals sums the connections.
func (t *tape) totals() (count, gaps, dups int, missing uint64) {
	for _, c := range t.conns {
		count += c.Count
		gaps += c.Gaps
		dups += c.Dups
		missing += c.Missing
	}
	return count, gaps, dups, missing
}
