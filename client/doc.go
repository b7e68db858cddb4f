// Package client is sturdy's supervisor: a WebSocket session that notices
// when its connection is dead, comes back with exponential backoff, and
// delivers what the program sent, in order.
//
// Start begins a session; Send queues messages (they wait in the queue
// while disconnected and are written, coalesced, by a single writer while
// connected); Read returns received messages across reconnects; Close ends
// the session and returns once every goroutine it started is gone.
//
// # Ordering and delivery
//
// Messages reach the server in the order Send accepted them, across any
// number of reconnects. After each reconnect, OnConnect runs first (what it
// writes goes out before anything queued), then the queue is replayed,
// then new sends follow. With AtMostOnce a message is never sent twice: it
// leaves the queue once the server is known to have read it (a ping written
// after it came back as a pong), and one written to a connection that died
// before that proof is reported as Unconfirmed rather than resent; with
// AtLeastOnce it stays until
// acknowledged and everything unacknowledged is replayed after a reconnect,
// so duplicates are possible only at reconnect boundaries. Messages that
// outlive their MaxAge are never sent. Nothing leaves the queue silently:
// every message that is not delivered reaches OnDeadLetter with its reason,
// and without OnDeadLetter Close returns an *UndeliveredError counting them.
// With a durable queue, AtMostOnce marks each batch in doubt before writing
// it, so a message an earlier process may have sent is reported, not sent
// twice.
//
// # Inbound
//
// Received messages wait for Read in an inbox bounded by
// Options.InboundBuffer and Options.InboundMaxBytes. When the program does
// not keep up, Options.InboundPolicy decides: by default the oldest unread
// messages are discarded and counted (Stats.InboundDropped), so a program
// that reads slowly, or never, does not stall its sends, its delivery
// confirmations or the heartbeat.
//
// Read hands each payload to the program without a copy: the reader read
// it into a buffer of its own and gives that buffer away. Release gives a
// payload back, and the reader reads a later message into it, so a
// program that releases what it has finished with receives without
// allocating. After Release the program must not touch the payload, and
// it releases a message at most once; not releasing is always safe.
// ReadInto does the same in one call, for a program that hands each
// payload back with its next read, and ReadMany for many messages a call:
// the hot feed's way.
//
// While the program keeps up, Read, ReadInto and ReadMany take messages
// that are already whole in the connection's read buffer themselves, on the
// calling goroutine, instead of waiting for the reader goroutine to hand
// it over; the reader still does every read that waits for the network,
// and all the reading while the program does not read. Order is the
// same either way.
//
// # The session's end
//
// Done is closed when the session ends and Err says why (ErrClosed, or
// ErrFailed wrapping the cause). A callback that panics on one of the
// Client's goroutines fails the session with a *PanicError instead of
// killing the process.
//
// # Reconnect policy
//
// DefaultShouldReconnect says which failures are retried; Options can
// replace it. 401 and 403 handshakes get one immediate retry with a fresh
// Endpoint call. Retry-After on 429 and 503 is honoured. The backoff is
// reset only after a connection stays up for StablePeriod (or MarkHealthy),
// so a server that accepts and drops at once causes no hot loop. The
// default Backoff (PhaseJitter over intervals of 1 s growing 1.25× to
// 30 s: each Client starts at a random point of the exponential schedule
// and follows it, ±5 %) was chosen by simulating a restart of up to a
// million Clients (bench/storm): the Clients of a restarted server come
// back at a near constant rate, not in waves, sooner and with fewer
// attempts than with cenkalti/backoff's default.
//
// # Goroutines and callbacks
//
// A Client runs a supervisor goroutine (which is also the writer) and,
// while connected, a reader: two goroutines when idle. The heartbeat is a
// timer whose callback runs only while a ping is due. OnStateChange and OnDeadLetter run one at a time, in order, on a
// dispatcher goroutine that exists only while it has callbacks to run,
// never under a library lock, so a slow callback cannot stall the
// connection. Three hooks run where their result is needed instead, and
// must be quick: OnConnect on the supervisor (the replay waits for it, by
// design), AckExtractor where the message is taken off the connection (the
// reader, or a Read taking it directly; it decides what becomes of the
// message), and Dial.OnPing/OnPong on whichever goroutine read the frame
// (see transport.Conn). Close stops them all and waits.
//
// # Observing
//
// Options.Observer is told of every connection attempt (with the time
// each step took), state change, heartbeat round trip, message sent and
// received, dead letter and replay, synchronously, for metrics and
// traces; github.com/sturdyws/sturdy/otel is one for OpenTelemetry.
// Unset, it costs a nil check per event.
package client
