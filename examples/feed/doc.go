// Feed is a market-data consumer that keeps its feed and its orders intact
// while the exchange misbehaves. It is sturdy's demonstration: run it with
//
//	go run ./examples/feed
//
// By default it starts an embedded exchange (a wstest server on loopback)
// that streams numbered prices and, on a schedule, drops the connection,
// turns it half-open (silent, still open: only the heartbeat can tell) and
// closes it with 1012 service restart. The client subscribes in OnConnect on
// every connection, reads prices, and places an order every 200 ms, each with
// a maximum age, delivered at least once with the exchange's acks.
//
// It prints every state change with its cause and backoff delay, live counts
// once a second, and after -duration (15 s) a summary that checks the claim:
// prices per connection with gaps and duplicates, reconnects, whether every
// connection began with its subscription, and what became of every order,
// checked against the exchange's own record. The exit status is 1 when
// anything was lost, duplicated outside a reconnect boundary, or reordered;
// 2 for a bad command line.
//
// With -url it connects to a real server instead, which must speak the
// protocol described in protocol.go; orders are then checked against the
// server's acknowledgements only.
package main
