package client

import (
	"context"
	"strconv"
	"time"

	"github.com/sturdyws/sturdy/heartbeat"
)

// InboundPolicy decides what the Client does with a received message when
// the program has not read the ones before it and the inbox is full
// (Options.InboundBuffer messages or Options.InboundMaxBytes bytes).
type InboundPolicy int

const (
	// InboundDropOldest discards the oldest unread messages to make room,
	// counting them in Stats.InboundDropped and logging a warning (at most
	// one line a second). It is the default because the programs a
	// WebSocket feed serves want the newest data and a live connection: a
	// reader that waited for a stalled program would stop answering
	// pings, stop reading acknowledgements and confirmations (so Flush
	// and Send stall too), and leave a dead peer unnoticed.
	InboundDropOldest InboundPolicy = iota

	// InboundWait stops reading from the network until the program reads,
	// as TCP would: nothing received is discarded. While the reader waits
	// the heartbeat is paused (pongs cannot be read, which must not pass
	// for a dead peer), Stats.ReaderStalled is true and a warning is
	// logged (at most one line a second). Choose it for request/response protocols where every reply
	// matters and the program always reads.
	InboundWait

	// InboundDropNewest discards the message that does not fit, keeping
	// the older ones, counted and logged as for InboundDropOldest.
	InboundDropNewest

	// InboundDiscard is for programs that never call Read: every received
	// message is counted in Stats.InboundDropped and discarded at once
	// (after AckExtractor and the heartbeat have seen it), without being
	// copied or logged.
	InboundDiscard
)

var inboundPolicyNames = [...]string{"InboundDropOldest", "InboundWait", "InboundDropNewest", "InboundDiscard"}

// String returns the constant's name.
func (p InboundPolicy) String() string {
	if p >= 0 && int(p) < len(inboundPolicyNames) {
		return inboundPolicyNames[p]
	}
	return "InboundPolicy(" + strconv.Itoa(int(p)) + ")"
}

// inboundLogEvery is how often, at most, the reader warns about a program
// that does not keep up.
const inboundLogEvery = time.Second

// deliver hands received messages, oldest first, to the inbox under the
// inbound policy, with the same outcome as handing them one by one. Under
// InboundWait it waits for room until ctx ends, pausing the heartbeat
// meanwhile; it returns ctx's cause then.
func (c *Client) deliver(ctx context.Context, ms []Inbound, mon *heartbeat.Monitor, lastWarn *time.Time) error {
	for len(ms) > 0 {
		taken, dropped := c.inbox.add(ms, false)
		if dropped > 0 {
			if now := time.Now(); now.Sub(*lastWarn) >= inboundLogEvery {
				*lastWarn = now
				n, bytes, total, _ := c.inbox.stats()
				c.opts.Logger.Warn("program not reading fast enough: received messages discarded",
					"policy", c.opts.InboundPolicy.String(), "dropped_total", total, "backlog", n, "backlog_bytes", bytes)
			}
		}
		if ms = ms[taken:]; len(ms) == 0 {
			return nil
		}
		// The program is not keeping up: while it holds the reader up,
		// pongs cannot be read, which must not pass for a dead peer.
		// Warned at most once a second, as drops are (the two never
		// share a policy, so they share the clock): a program a little
		// slower than its feed stalls the reader again and again.
		if now := time.Now(); now.Sub(*lastWarn) >= inboundLogEvery {
			*lastWarn = now
			n, bytes, _, _ := c.inbox.stats()
			c.opts.Logger.Warn("program not reading: reader waits, heartbeat paused",
				"backlog", n, "backlog_bytes", bytes)
		}
		if mon != nil {
			mon.Pause()
		}
		if err := c.inbox.push(ctx, ms[0]); err != nil {
			return err
		}
		if mon != nil {
			mon.Resume()
		}
		ms = ms[1:]
	}
	return nil
}
