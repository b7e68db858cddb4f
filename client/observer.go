package client

import (
	"time"

	"github.com/sturdyws/sturdy/transport"
)

// Observer is told what happens in a Client's session, for metrics and
// traces: github.com/sturdyws/sturdy/otel turns it into OpenTelemetry
// instruments and spans. Stats and OnStateChange keep working beside it;
// an Observer adds what they cannot give: every attempt with its phases
// and duration, every round-trip sample, the sizes of the messages sent
// and received, and how long a reconnect kept the queue waiting.
//
// Each method is called synchronously on the goroutine where the event
// happens (each method says which), never under a library lock, and
// several may run at once: an Observer must be safe for concurrent use.
// Some are called for every message, so they must be quick, like adding
// to a counter; they must not block, keep a Client's lock waiting, or
// call Close, Flush or WaitConnected.
//
// A panic in MessageReceived or MessagesSent is not contained: they are
// called for every message, and the deferred recover that would contain
// it costs about a tenth of what the Client spends on a small message.
// Like a panic on a goroutine of the program's own, it ends the process,
// so they must not panic. (MessageReceived may run inside Read or
// ReadInto, when they take a message off the connection themselves: a
// panic there leaves through that call, and a program that recovers it
// finds the Client going on, that message lost.) A panic in any other
// method is contained like any callback's: the session fails with a
// *PanicError whose Callback is "Observer." and the method's name.
//
// Options.Observer nil, the default, costs one nil check per event.
// Embed NopObserver to implement only some methods and keep compiling
// when this interface grows.
type Observer interface {
	// Started is called once, by Start, before any other method, with
	// the Client being observed, so an Observer can read its Stats when
	// metrics are collected (queue depth, inbound backlog). It runs on
	// the goroutine that called Start.
	Started(c *Client)

	// ConnectAttempt is called on the supervisor goroutine when an
	// attempt has ended, successful or not, before the state change it
	// leads to.
	ConnectAttempt(a ConnectAttempt)

	// StateChanged is called with every transition, once, in order, on
	// the supervisor goroutine, before OnStateChange runs.
	StateChanged(ch StateChange)

	// RTT is called with every round trip the heartbeat measures, on the
	// goroutine that read the reply (the connection's reader, or, for an
	// application-level reply, a Read that took it off the connection).
	RTT(d time.Duration)

	// MessagesSent is called on the writer (the supervisor goroutine)
	// after each flush: messages were written from the queue, with bytes
	// of payload between them. Heartbeats and what OnConnect writes are
	// not counted.
	MessagesSent(messages, bytes int)

	// MessageReceived is called for every data message read from the
	// connection, with its payload size: the messages Read returns, but
	// also acknowledgements AckExtractor consumes, application-level
	// heartbeat replies, and messages the inbound policy discards. It
	// runs on the goroutine that took the message off the connection:
	// the reader, or the program's own Read or ReadInto when it took the
	// message straight from the connection's buffer; calls never
	// overlap, and come in the order the messages arrived.
	MessageReceived(typ transport.MessageType, bytes int)

	// DeadLetter is called for every message that left the queue
	// undelivered, before OnDeadLetter is scheduled, with its payload
	// size. It runs where the drop happened: the writer, or for a queue's
	// overflow the goroutine whose Send overflowed it.
	DeadLetter(reason DropReason, bytes int)

	// Replayed is called on the writer when, after a reconnect, the first
	// message waiting in the queue has been flushed to the new connection.
	// It is not called when nothing was waiting, nor when all that waited
	// expired before it could be sent.
	Replayed(r Replay)
}

// NopObserver does nothing. Embed it in an Observer to implement only the
// methods you need.
type NopObserver struct{}

func (NopObserver) Started(*Client)                            {}
func (NopObserver) ConnectAttempt(ConnectAttempt)              {}
func (NopObserver) StateChanged(StateChange)                   {}
func (NopObserver) RTT(time.Duration)                          {}
func (NopObserver) MessagesSent(messages, bytes int)           {}
func (NopObserver) MessageReceived(transport.MessageType, int) {}
func (NopObserver) DeadLetter(DropReason, int)                 {}
func (NopObserver) Replayed(Replay)                            {}

var _ Observer = NopObserver{}

// Replay describes the replay of the queue after a reconnect, as given to
// Observer.Replayed.
type Replay struct {
	// Conn is the ordinal of the connection the queue was replayed on.
	Conn uint64
	// Messages and Bytes are what waited in the queue when the connection
	// came up (with AtLeastOnce, the unacknowledged messages written to
	// the lost connection included): what the replay had to send, less
	// any that expired meanwhile.
	Messages int
	Bytes    int64
	// Down is how long the queue waited: from the end of the previous
	// connection to the first replayed message's flush.
	Down time.Duration
}
