// Package heartbeat tells a WebSocket client when its peer has gone silent,
// and how far away it is.
//
// A [Monitor] sends a heartbeat every [Options.Interval] and expects proof of
// life within [Options.Timeout]: the pong that echoes the ping ([PongOnly],
// the default) or any inbound frame ([AnyFrame]). When none comes, the
// monitor ends once, closing [Monitor.Done], and [Monitor.Err] returns a
// [*DeadError] that matches [ErrDead]. sturdy's client then drops the
// connection as 1006 and reconnects. The package imports nothing else of
// sturdy: it reaches the connection through [Pinger] (and [MessageSender] for
// application-level heartbeats).
//
// # Wiring
//
// The connection's owner starts a monitor per connection and stops it when the
// connection ends:
//
//	m, err := heartbeat.Start(conn, opts)
//	...
//	defer m.Stop()
//
// The reader goroutine reports what arrives. These calls are made for every
// frame, so they are cheap: an atomic add, and a short lock only for the one
// pong that answers a ping; they never allocate and never wait for the
// monitor.
//
//	m.FrameReceived()          // every inbound frame
//	m.PongReceived(payload)    // pong control frames (implies FrameReceived)
//	if m.MessageReceived(msg) { // data messages (implies FrameReceived)
//		continue // an application-level heartbeat reply: not for the user
//	}
//
// The owner selects on m.Done() beside its other work and reads m.Err().
//
// # Timeline
//
// Pings are due at Start + k·Interval, on a grid that does not drift. Each
// ping's deadline is its send time plus its timeout; the deadline is judged
// before a tick that falls at the same instant. At most one ping is
// outstanding: a tick that falls while the last ping awaits its verdict is
// skipped. So Timeout may equal or exceed Interval, and with the defaults (15 s
// and 10 s) a peer that stops answering is found dead at most 25 s after its
// last sign of life. A Ping call that is still writing when its timeout
// expires is cancelled and the peer is declared dead; a Ping that fails ends the
// monitor with that error.
//
// # Slow links
//
// A ping queued behind a large message on a slow link is answered only once
// the message has crossed, which may take longer than the timeout. With
// [Options.Progress] (transport.Conn.WriteProgress: the bytes the peer has
// taken) a deadline that passes while the count moves is not death: the
// monitor waits another timeout for the same ping, for as long as the
// writes keep moving, and declares the peer dead after a whole timeout
// with neither the reply nor progress. The package still imports nothing
// of sturdy: Progress is a plain func() uint64.
//
// # Round-trip time
//
// Control-frame pings carry an 8-byte big-endian counter that the peer must
// echo, so each pong is matched to its ping; unsolicited pongs and pongs for a
// ping already judged are ignored. [Monitor.RTT] returns the last sample and
// its smoothed value (TCP's SRTT, RFC 6298). With [Options.AdaptiveTimeout] the
// timeout follows the measurements: clamp(2·SRTT + 4·RTTVAR, MinTimeout,
// Timeout).
//
// # Strategies
//
// Some servers ignore control frames and want a heartbeat of their own, such
// as a text "ping" or {"op":"ping"}. That is a [Strategy] of the same monitor:
// see [Text], [JSON], or fill in a Strategy. Replies are matched by order
// since such payloads carry no ping number.
//
// # Time
//
// All waiting goes through [Options.Clock], so tests can drive a monitor with
// a fake clock and check deadlines exactly, without sleeping.
package heartbeat
