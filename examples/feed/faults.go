package main

import (
	"context"
	"time"

	"github.com/sturdyws/sturdy/transport"
	"github.com/sturdyws/sturdy/wstest"
)

// A fault is one way the exchange lets a connection down.
type fault struct {
	name  string
	apply func(srv *wstest.Server, ordinal int) error
}

// faultCycle is the schedule, repeated: a dropped TCP connection (the
// client sees 1006), a half-open peer that goes silent without closing
// (only the heartbeat can notice), and a clean 1012 service restart.
var faultCycle = []fault{
	{"drop the TCP connection", func(s *wstest.Server, n int) error { return s.Drop(n) }},
	{"go half-open (stop reading, writing and answering pings)", func(s *wstest.Server, n int) error { return s.Stall(n) }},
	{"close with 1012 service restart", func(s *wstest.Server, n int) error {
		return s.CloseConn(n, transport.StatusServiceRestart, "service restart")
	}},
}

// runFaults lets each new connection stream for every, then hits it with
// the next fault of the cycle, until ctx ends. It waits for the server's
// events (a fresh connection that has started streaming), never on a
// clock, except for the healthy time it grants each connection.
func runFaults(ctx context.Context, srv *wstest.Server, every time.Duration, con *console) {
	timer := time.NewTimer(every)
	defer timer.Stop()
	last := 0 // the last connection hit
	for i := 0; ; i++ {
		target := 0
		err := srv.WaitFor(ctx, func(s wstest.Snapshot) bool {
			for j := len(s.Conns) - 1; j >= 0; j-- {
				c := s.Conns[j]
				if c.Ordinal > last && c.Live && !c.Stalled && c.Sent > 0 {
					target = c.Ordinal
					return true
				}
			}
			return false
		})
		if err != nil {
			return
		}
		timer.Reset(every)
		select {
		case <-timer.C:
		case <-ctx.Done():
			return
		}
		f := faultCycle[i%len(faultCycle)]
		// Announced before it happens, so the client's reaction is
		// always printed after it.
		con.printf("server: %s on connection %d", f.name, target)
		if err := f.apply(srv, target); err != nil {
			// The connection ended on its own meanwhile; the next one
			// gets this turn's fault instead.
			con.printf("server: connection %d had already ended (%v)", target, err)
			i--
			continue
		}
		last = target
	}
}
