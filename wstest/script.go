package wstest

import (
	"slices"
	"time"
)

// Rule is one step of a script (Options.Script): a fault the server injects
// by itself into the connections it matches, once its conditions hold.
// Conditions left zero do not restrict; a rule with none fires on every
// connection as soon as it opens, before the behaviour starts. Each rule
// fires at most once per connection.
//
//	{Conn: 2, Do: wstest.Drop()}                          // flap the second connection
//	{AfterSent: 3, Do: wstest.CloseWith(1012, "restart")} // every connection gets 3 messages, then 1012
//	{Conn: 1, After: 50 * time.Millisecond, Do: wstest.Stall()}
type Rule struct {
	// Conn restricts the rule to the connection with this ordinal.
	Conn int
	// Path restricts the rule to connections opened on this URL path.
	Path string
	// AfterReceived waits until the connection has received this many
	// messages. The rule fires as soon as the last one is recorded, before
	// the behaviour answers it: with Sink, the message is recorded but
	// never acknowledged, the case at-least-once delivery must survive.
	AfterReceived int
	// AfterSent waits until the server has sent this many messages on the
	// connection. The rule fires before the next message can be written,
	// so the client gets exactly this many (with Reset, some may be lost
	// in flight).
	AfterSent int
	// After waits until this long after the connection opened.
	After time.Duration
	// Do is the fault to inject. A Stall here does not wait for the
	// reader, unlike Server.Stall.
	Do Fault
}

// rulesFor returns the rules that apply to a new connection, with their
// fired flags.
func (s *Server) rulesFor(ordinal int, path string) ([]Rule, []bool) {
	var rules []Rule
	for _, r := range s.script {
		if (r.Conn == 0 || r.Conn == ordinal) && (r.Path == "" || r.Path == path) {
			rules = append(rules, r)
		}
	}
	return rules, make([]bool, len(rules))
}

// dueLocked marks as fired, and returns, the rules of c whose conditions
// now hold. The caller holds s.mu.
func (c *Conn) dueLocked() []Fault {
	var due []Fault
	for i, r := range c.rules {
		if c.fired[i] {
			continue
		}
		if c.info.Received < r.AfterReceived || c.written < r.AfterSent ||
			time.Since(c.opened) < r.After {
			continue
		}
		c.fired[i] = true
		due = append(due, r.Do)
	}
	return due
}

// runDue fires the rules that are due, from a goroutine that holds no lock.
func (c *Conn) runDue() {
	c.srv.mu.Lock()
	due := c.dueLocked()
	c.srv.mu.Unlock()
	for _, f := range due {
		_ = c.apply(f, false, false)
	}
}

// startTimers starts one goroutine that re-checks the rules at each After
// of the connection's timed rules. Message counts are checked as messages
// come, so only time needs a goroutine.
func (c *Conn) startTimers() {
	var at []time.Duration
	for _, r := range c.rules {
		if r.After > 0 {
			at = append(at, r.After)
		}
	}
	if len(at) == 0 {
		return
	}
	slices.Sort(at)
	at = slices.Compact(at)
	c.spawn(func() {
		for _, d := range at {
			t := time.NewTimer(time.Until(c.opened.Add(d)))
			select {
			case <-t.C:
			case <-c.ctx.Done():
				t.Stop()
				return
			}
			c.runDue()
		}
	})
}
