package main

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/sturdyws/sturdy/client"
)

// console serialises the program's output: state changes arrive on the
// client's callback goroutine, live counts on a ticker, fault notices on
// the fault schedule. Every line carries the time since the start.
type console struct {
	mu    sync.Mutex
	w     io.Writer
	start time.Time
}

func newConsole(w io.Writer) *console { return &console{w: w, start: time.Now()} }

// printf writes one timestamped line.
func (c *console) printf(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	fmt.Fprintf(c.w, "%7.3fs  %s\n", time.Since(c.start).Seconds(), fmt.Sprintf(format, args...))
}

// raw writes text as it is, for the summary.
func (c *console) raw(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, _ = io.WriteString(c.w, s)
}

// stateChange prints a transition with its cause and backoff delay.
func (c *console) stateChange(ch client.StateChange) {
	switch ch.To {
	case client.Connected:
		c.printf("%v → %v (connection %d, subscribed)", ch.From, ch.To, ch.Conn)
	case client.Reconnecting:
		c.printf("%v → %v in %v, because: %v", ch.From, ch.To, ch.Delay.Round(time.Millisecond), ch.Cause)
	case client.Connecting:
		c.printf("%v → %v (attempt %d)", ch.From, ch.To, ch.Attempt)
	default:
		c.printf("%v → %v, because: %v", ch.From, ch.To, ch.Cause)
	}
}

// live prints the client's counters once a second until ctx ends.
func (c *console) live(ctx context.Context, cl *client.Client, orders *ledger) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-ctx.Done():
			return
		}
		s := cl.Stats()
		c.printf("live: %d prices, %d reconnects, last RTT %v, orders %d sent / %d acked, queue %d",
			s.Received, s.Reconnects, s.LastRTT.Round(time.Microsecond), orders.count(), orders.acknowledged(), s.QueueDepth)
	}
}
