package heartbeat

import (
	"context"
	"time"
)

// Pinger is what the monitor needs from the connection to send a WebSocket
// ping control frame. The transport package's Conn satisfies it.
//
// Ping is called from the monitor's timer, one call at a time, with a fresh
// payload it may keep. It must return soon after ctx is done: the monitor
// cancels ctx when the ping's timeout expires (a ping that cannot even be
// written in that time means the peer is dead) and when Stop is called, and
// Stop waits for Ping to return. Ping must not call Stop.
type Pinger interface {
	Ping(ctx context.Context, payload []byte) error
}

// SpanPinger is a [Pinger] that also tells where each ping went in the
// connection's byte stream, counted as [Options.Sent] counts: the write
// that carried the ping began at start and ended, with the ping's last
// byte, at end. transport.Conn's PingSpan is one. When Options.Sent is
// set and the Pinger is a SpanPinger, the monitor uses PingSpan instead of
// Ping, and spares Options.Progress calls that it can answer itself: the
// answer to a ping proves the peer's TCP has acknowledged every byte
// through the ping's end, so while Sent stays there, nothing is
// unacknowledged and Progress equals Sent. An idle connection's ping then
// costs no Progress call at all. The same rules as Ping's apply; start and
// end are read only when err is nil. Implement it only when start and end
// are in Sent's units and Progress counts those same bytes one for one
// (Sent less exactly what is unacknowledged): over TLS, where Sent counts
// plaintext and the kernel ciphertext, it does not.
type SpanPinger interface {
	PingSpan(ctx context.Context, payload []byte) (start, end uint64, err error)
}

// TryPinger is a [SpanPinger] that can also send a ping without waiting
// for anything, when the monitor knows the connection has nothing
// unacknowledged: the last ping was answered and Sent has stayed at
// start, its end, since. TryPingSpan sends the ping then only if Sent is
// still start and the connection takes the whole frame at once, and
// reports where its last byte went (the write began at start). When it
// cannot, it sends nothing and reports false, and the monitor sends the
// ping through PingSpan. It must never wait for a lock or for the network,
// with one exception: should the connection take part of the frame, the
// rest must follow within timeout. The payload is only read during the
// call. transport.Conn's TryPingSpan is one.
//
// An idle connection's every ping but the first goes this way, and costs
// the monitor no context and no deadline timer: no PingSpan call, whose
// context the monitor must be able to cancel, is made.
type TryPinger interface {
	TryPingSpan(payload []byte, start uint64, timeout time.Duration) (end uint64, sent bool, err error)
}

// MessageSender is what the monitor needs from the connection for an
// application-level [Strategy]: a way to send payload as a text message, or
// a binary one when binary is true. The value given to [Start] must then
// implement MessageSender as well as Pinger; embedding the transport
// connection in a small adapter that adds SendHeartbeat does that, and Ping
// is not called. SendHeartbeat follows the same rules as Ping.
//
// Heartbeats bypass the outbound queue on purpose: they must not be delayed
// behind queued data, nor replayed after a reconnect.
type MessageSender interface {
	SendHeartbeat(ctx context.Context, payload []byte, binary bool) error
}
