// Package wstest runs a real WebSocket server on the loopback interface,
// inside the test process, that misbehaves on command, so a program can
// prove that its reconnect logic works: sturdy's own client tests, the
// examples and users' tests run against it.
//
// # Starting a server
//
// NewServer listens on a random port of 127.0.0.1 (or [::1]), or on
// Options.Addr; Start does the same for a test and closes the server when
// the test ends. URL gives
// the ws:// address, to which a path is appended to pick a route:
//
//	srv := wstest.Start(t, wstest.Options{
//		Routes: map[string]wstest.Behavior{
//			"/echo": wstest.Echo(),
//			"/feed": wstest.Stream(wstest.StreamOptions{Rate: 100}),
//			"/orders": wstest.Compose(
//				wstest.RequireHeader("Authorization", "Bearer t1"),
//				wstest.Sink(ack),
//			),
//		},
//	})
//	c, _, err := transport.Dial(ctx, srv.URL()+"/echo", nil)
//
// # Behaviours
//
// A Behavior decides whether a handshake is accepted and what the server
// does with the connection: Echo sends messages back; Stream pushes
// numbered messages (ParseSeq reads the number back) whose numbers keep
// increasing across reconnects; Sink only records, optionally answering
// each message (an application ack); RequireHeader, Authorize and Refuse
// decide the handshake. Compose combines them. Options.Routes picks one by
// path, Options.Default covers the rest, and Options.ByConnection or
// HandleConn gives one connection, by ordinal, a behaviour of its own.
//
// Whatever the behaviour, the server reads every connection continuously,
// answers pings and close frames, and records every message it receives
// with the ordinal of its connection (1, 2, 3… in handshake order), so a
// test can check, with CheckDelivery, that nothing was lost or reordered
// across reconnects and that duplicates appear only where a reconnect
// replayed them.
//
// # Faults
//
// Faults hit open connections: Drop (no close frame: the client sees
// 1006), Reset (TCP RST), CloseWith (a close frame with any sendable code),
// Stall (a half-open peer: no reads, no pongs, no writes) and Raw (bytes
// written as they are, for protocol violations; Frame and CloseFrame build
// them). Apply them on command (Drop, DropAll, CloseAll, Stall, SendRaw,
// Inject, InjectAll…) or script them in Options.Script with Rules that fire
// by connection ordinal, message count or time since the connection
// opened.
//
// Handshakes can be refused (RejectNext, with any status and headers such
// as Retry-After), accepted and dropped at once (FlapNext), delayed
// (DelayHandshakes) or held unanswered (StallHandshakes until
// ReleaseHandshakes); SetLatency slows every message the server sends.
//
// # Outages and slow links
//
// Stop takes the whole server down for real: the listener closes, so
// clients' connection attempts are refused by the kernel, and every
// connection is dropped. Restart listens again on the same address, so a
// test can keep the server away for as long as it likes (a 3-second
// outage, say) and watch a client come back. The record, routes and
// scripts survive, and connection ordinals go on.
//
// Options.ReadRate (or SetReadRate, at any time) limits how fast the
// server reads each connection, in bytes per second: a bandwidth-limited
// link on which a client's large message crawls but keeps moving, and
// whatever the client sends behind it waits its turn.
//
// # Observing and waiting
//
// Snapshot reports every handshake attempt (time, path, request header,
// answer), every connection (ordinal, counts, why it ended) and every
// message received; Received and ReceivedOn copy messages out. Tests never
// sleep to wait for a state: WaitFor re-evaluates a condition on the
// Snapshot after every server event, and WaitHandshakes, WaitAccepted,
// WaitLive and WaitReceived cover the usual ones.
//
// # Goroutines
//
// The server owns every goroutine it starts: one accepting, one per TCP
// connection (which reads the connection once upgraded), and per
// connection those of its behaviour, its timed rules and a closing
// handshake. A connection's goroutines end with it; Stop and Close drop
// every connection and return once all of them are gone. The package has no
// global state: servers are independent, and tests may run in parallel.
package wstest
