package main

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sturdyws/sturdy/client"
	"github.com/sturdyws/sturdy/wstest"
)

// errLost is the run's error when the summary found anything lost,
// duplicated or out of order; main turns it into exit status 1.
var errLost = errors.New("feed: delivery check failed")

// byConnection sorts the exchange's record connection by connection, in
// the order each was read. The server may still be draining what the client
// wrote to connection n while connection n+1 delivers, so its global log can
// interleave them; the client's order is per session, one connection after
// the other, and that is the order the summary reports.
func byConnection(got []wstest.Message) []wstest.Message {
	slices.SortStableFunc(got, func(a, b wstest.Message) int {
		return cmp.Or(cmp.Compare(a.Conn, b.Conn), cmp.Compare(a.Index, b.Index))
	})
	return got
}

// orderCheck accounts for every order the client sent.
type orderCheck struct {
	Sent      int
	Delivered int // reached the exchange (counted once)
	Replayed  int // extra copies sent again after a reconnect
	Expired   int // outlived their max age in the queue and were never sent
	// ExpiredUnacked were written to a connection that then failed, and
	// outlived their max age before an acknowledgement or a replay: the
	// exchange may have read them (then they count as delivered) or not.
	ExpiredUnacked int
	Undelivered    int // reported to OnDeadLetter for another reason
	Lost           int // neither delivered nor reported: must be 0
	Verified       string
	Err            error // first order out of place, or nil
}

// checkOrders compares the orders sent with what the exchange recorded
// (got, in the order it read them across connections) and with the dead
// letters the client reported. An order may be delivered, or expired before
// it could be sent; anything else is a failure. Those delivered must have
// arrived in order, with repeats only where a reconnect replayed what was
// not yet acknowledged (wstest.CheckDelivery).
func checkOrders(sent [][]byte, dead map[uint64]client.DeadLetter, got []wstest.Message) orderCheck {
	oc := orderCheck{Sent: len(sent), Verified: "the exchange's record"}
	var orders []wstest.Message
	seen := map[uint64]bool{}
	for _, m := range got {
		r, ok := parseRequest(m.Data)
		if !ok || r.Op != "order" {
			continue
		}
		orders = append(orders, m)
		if seen[r.ID] {
			oc.Replayed++
		}
		seen[r.ID] = true
	}
	expected := make([][]byte, 0, len(sent))
	for i, p := range sent {
		id := uint64(i + 1)
		d, reported := dead[id]
		switch {
		case seen[id]:
			// An order that expired when a reconnect replayed it may
			// still have reached the exchange on the earlier connection.
			oc.Delivered++
			expected = append(expected, p)
		case !reported:
			oc.Lost++
			expected = append(expected, p)
		case d.Reason == client.ReasonExpired:
			oc.Expired++
		case d.Reason == client.ReasonExpiredUnacked:
			oc.ExpiredUnacked++
		default:
			oc.Undelivered++
		}
	}
	oc.Err = wstest.CheckDelivery(expected, orders)
	return oc
}

// checkAcked accounts for the orders with the exchange's acknowledgements
// only, for a server given with -url, whose record we cannot read.
func checkAcked(sent [][]byte, dead map[uint64]client.DeadLetter, acked uint64) orderCheck {
	oc := orderCheck{Sent: len(sent), Verified: "the server's acks"}
	for i := range sent {
		id := uint64(i + 1)
		d, reported := dead[id]
		switch {
		// The acks are cumulative: an order reported undelivered below
		// the highest ack never reached the server, whatever the ack says.
		case reported && d.Reason == client.ReasonExpired:
			oc.Expired++
		case reported && d.Reason == client.ReasonExpiredUnacked:
			oc.ExpiredUnacked++
		case reported:
			oc.Undelivered++
		case id <= acked:
			oc.Delivered++
		default:
			oc.Lost++
		}
	}
	return oc
}

// subCheck says whether every connection began with the subscription.
type subCheck struct {
	Conns, Subscribed int
	Err               error
}

// checkSubscriptions reads the exchange's record per connection: OnConnect
// runs before the queue is replayed, so the first thing each connection
// carried must be the subscription, and only once.
func checkSubscriptions(got []wstest.Message, conns int) subCheck {
	sc := subCheck{Conns: conns}
	first := map[int]bool{}
	count := map[int]int{}
	for _, m := range got {
		r, ok := parseRequest(m.Data)
		isSub := ok && r.Op == "subscribe"
		if m.Index == 1 {
			first[m.Conn] = isSub
		}
		if isSub {
			count[m.Conn]++
		}
	}
	for conn := 1; conn <= conns; conn++ {
		ok, any := first[conn]
		switch {
		case !any:
			// The connection carried nothing (e.g. it was dropped before
			// the subscription arrived): nothing to check.
		case !ok && sc.Err == nil:
			sc.Err = fmt.Errorf("connection %d did not begin with the subscription", conn)
		case count[conn] > 1 && sc.Err == nil:
			sc.Err = fmt.Errorf("connection %d carried %d subscriptions", conn, count[conn])
		case ok:
			sc.Subscribed++
		}
	}
	return sc
}

// summary is everything the final report says.
type summary struct {
	Elapsed  time.Duration
	Stats    client.Stats
	RTT      time.Duration // last measured
	Tape     *tape
	Orders   orderCheck
	Subs     *subCheck // nil with -url
	FlushErr error
}

// ok reports whether nothing was lost or reordered.
func (s *summary) ok() bool {
	_, gaps, dups, _ := s.Tape.totals()
	o := s.Orders
	return gaps == 0 && dups == 0 && o.Lost == 0 && o.Undelivered == 0 && o.Err == nil &&
		(s.Subs == nil || s.Subs.Err == nil)
}

// String renders the summary.
func (s *summary) String() string {
	var b strings.Builder
	count, gaps, dups, missing := s.Tape.totals()
	fmt.Fprintf(&b, "\nsummary after %.1fs\n", s.Elapsed.Seconds())
	fmt.Fprintf(&b, "  prices         %d received, %d gaps (%d missing), %d duplicates\n", count, gaps, missing, dups)
	for _, c := range s.Tape.conns {
		fmt.Fprintf(&b, "    connection %-3d %5d prices, seq %d..%d, %d gaps, %d duplicates\n",
			c.Conn, c.Count, c.First, c.Last, c.Gaps, c.Dups)
	}
	fmt.Fprintf(&b, "  reconnects     %d (%d connection attempts)\n", s.Stats.Reconnects, s.Stats.Attempts)
	if s.Subs != nil {
		fmt.Fprintf(&b, "  subscriptions  %d of %d connections began with the subscription", s.Subs.Subscribed, s.Subs.Conns)
		if s.Subs.Err != nil {
			fmt.Fprintf(&b, "; %v", s.Subs.Err)
		}
		b.WriteString("\n")
	}
	o := s.Orders
	fmt.Fprintf(&b, "  orders         %d sent, %d delivered in order, %d replayed after a reconnect, %d expired unsent, %d expired unacknowledged, %d undelivered, %d lost (checked against %s)\n",
		o.Sent, o.Delivered, o.Replayed, o.Expired, o.ExpiredUnacked, o.Undelivered, o.Lost, o.Verified)
	if o.Err != nil {
		fmt.Fprintf(&b, "                 %v\n", o.Err)
	}
	if s.FlushErr != nil {
		fmt.Fprintf(&b, "  flush          %v\n", s.FlushErr)
	}
	fmt.Fprintf(&b, "  last RTT       %v\n", s.RTT.Round(time.Microsecond))
	if s.ok() {
		b.WriteString("  result         OK: nothing lost, nothing duplicated, nothing out of order\n")
	} else {
		b.WriteString("  result         FAILED: something was lost or out of order\n")
	}
	return b.String()
}
