// Package fleet is the scale scenario: thousands of idle connections of
// one kind in a client process of their own, against a server process
// that counts what it sees, and a restart of that server.
//
// Two kinds are compared. KindSturdy is sturdy's client.Client with its
// default Options (heartbeat on). KindHand is the hand-written way it
// replaces: a gorilla/websocket connection, a read loop, a goroutine that
// pings every heartbeat interval, a read deadline that a pong extends,
// and a reconnect loop paced by cenkalti/backoff's default
// ExponentialBackOff.
//
// Both processes are this binary re-executed, commanded one line at a
// time over stdin, answering one line on stdout:
//
// The server (Serve) says "ready", then:
//
//	listen ADDR             listen on ADDR (127.0.0.1:0 for any port); answers "listening ADDR"
//	pings N K MS            waits until N connections have each sent K pings; "pings N K"
//	back N MS               waits until N distinct members (the id of the request
//	                        target) have completed a handshake; "back UNIXNANO HANDSHAKES":
//	                        when the Nth did, and how many handshakes there were
//	buckets                 "buckets LISTENUNIXNANO c0 c1 ...": handshakes per 100 ms
//	                        from the moment it listened
//
// A wait that has not come true after MS milliseconds answers
// "error ...". Every connection answers pings with pongs and a close with
// a close; nothing else is ever sent to the clients.
//
// The client process (ClientMain) says "ready", then:
//
//	dial JSON               starts a fleet (Settings) in a burst and answers
//	                        "up JSON" (Up) once every member is connected
//	measure MS [K]          measures K (default 1) consecutive idle windows of MS
//	                        milliseconds each; "idle JSON" (Idle)
//	arm                     counts dials from now on; "ok"
//	attempts                "attempts JSON" (Attempts): dials per member since arm
//	close                   closes every member and waits for their goroutines
//	                        to end; "closed"
package fleet
