package client_test

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/sturdyws/sturdy/client"
	"github.com/sturdyws/sturdy/transport"
	"github.com/sturdyws/sturdy/wstest"
)

// Example is the usage snippet of README.md, run against an in-process
// wstest server that streams three prices: subscribe on every connection,
// send an order with a maximum age, read what arrives.
func Example() {
	srv, err := wstest.NewServer(wstest.Options{Default: wstest.Stream(wstest.StreamOptions{Count: 3})})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	ctx := context.Background()
	var states []string // OnStateChange runs on the Client's callback goroutine

	c, err := client.Start(ctx, client.Options{
		URL: srv.URL() + "/prices",
		OnConnect: func(ctx context.Context, conn *transport.Conn) error {
			// Runs on every connection, before anything queued is replayed.
			return conn.Write(ctx, transport.MessageText, []byte(`{"op":"subscribe","channel":"prices"}`))
		},
		OnStateChange: func(ch client.StateChange) {
			states = append(states, fmt.Sprintf("%v → %v", ch.From, ch.To))
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	// Queued now, sent in order once connected, dropped if still queued after 5 s.
	order := []byte(`{"op":"order","id":1}`)
	if _, err := c.SendMessage(ctx, client.Message{Type: transport.MessageText, Payload: order, MaxAge: 5 * time.Second}); err != nil {
		fmt.Println(err)
		return
	}
	for range 3 {
		m, err := c.Read(ctx) // waits across reconnects
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("connection %d: %s\n", m.Conn, m.Payload)
	}
	if err := c.Flush(ctx); err != nil { // the order has reached the server
		fmt.Println(err)
		return
	}
	if err := c.Close(); err != nil {
		fmt.Println(err)
	}
	for _, m := range srv.Received() {
		fmt.Printf("server got %s\n", m.Data)
	}
	fmt.Println(states) // Close has waited for the callbacks
	// Output:
	// connection 1: {"seq":1}
	// connection 1: {"seq":2}
	// connection 1: {"seq":3}
	// server got {"op":"subscribe","channel":"prices"}
	// server got {"op":"order","id":1}
	// [Connecting → Connected Connected → Closed]
}

// ExampleStart starts a session and waits for its first connection. Start
// itself returns at once: the Client connects, and reconnects, in the
// background.
func ExampleStart() {
	srv, err := wstest.NewServer(wstest.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	c, err := client.Start(ctx, client.Options{URL: srv.URL()})
	if err != nil {
		fmt.Println(err) // only for invalid Options: no URL, a bad heartbeat
		return
	}
	if err := c.WaitConnected(ctx); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.State(), "connections:", c.Stats().Connects)
	fmt.Println(c.Close(), c.State())
	// Output:
	// Connected connections: 1
	// <nil> Closed
}

// ExampleClient_Send queues messages while the server is not answering
// yet: Send returns at once with each message's sequence number, and the
// messages reach the server, in that order, once the connection is up.
func ExampleClient_Send() {
	srv, err := wstest.NewServer(wstest.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	srv.StallHandshakes() // hold the first connection back
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.Start(ctx, client.Options{URL: srv.URL()})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()

	for _, p := range []string{"a", "b", "c"} {
		seq, err := c.Send(ctx, transport.MessageText, []byte(p))
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("queued %s as %d while %v\n", p, seq, c.State())
	}
	srv.ReleaseHandshakes()
	if err := c.Flush(ctx); err != nil { // wait until the server has read them
		fmt.Println(err)
		return
	}
	for _, m := range srv.Received() {
		fmt.Printf("server got %s on connection %d\n", m.Data, m.Conn)
	}
	// Output:
	// queued a as 1 while Connecting
	// queued b as 2 while Connecting
	// queued c as 3 while Connecting
	// server got a on connection 1
	// server got b on connection 1
	// server got c on connection 1
}

// ExampleClient_Read reads a numbered stream across a dropped connection:
// Inbound.Conn tells which connection each message came on.
func ExampleClient_Read() {
	srv, err := wstest.NewServer(wstest.Options{
		Default: wstest.Stream(wstest.StreamOptions{Count: 2}),
		Script:  []wstest.Rule{{Conn: 1, AfterSent: 2, Do: wstest.Drop()}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.Start(ctx, client.Options{URL: srv.URL()})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()

	for range 4 {
		m, err := c.Read(ctx) // waits through the reconnect
		if err != nil {
			fmt.Println(err)
			return
		}
		seq, _ := wstest.ParseSeq(m.Payload)
		fmt.Printf("connection %d: price %d\n", m.Conn, seq)
	}
	// Output:
	// connection 1: price 1
	// connection 1: price 2
	// connection 2: price 3
	// connection 2: price 4
}

// ExampleOptions_onConnect resubscribes on every connection. What OnConnect
// writes goes out before anything queued, so the order sent before the
// first connection arrives after the subscription.
func ExampleOptions_onConnect() {
	srv, err := wstest.NewServer(wstest.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	srv.StallHandshakes()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.Start(ctx, client.Options{
		URL: srv.URL(),
		OnConnect: func(ctx context.Context, conn *transport.Conn) error {
			return conn.Write(ctx, transport.MessageText, []byte("subscribe"))
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()

	if _, err := c.Send(ctx, transport.MessageText, []byte("order 1")); err != nil {
		fmt.Println(err)
		return
	}
	srv.ReleaseHandshakes()
	if err := c.Flush(ctx); err != nil {
		fmt.Println(err)
		return
	}
	srv.DropAll()                                    // the client reconnects…
	if err := srv.WaitReceived(ctx, 3); err != nil { // …and subscribes again
		fmt.Println(err)
		return
	}
	for _, m := range srv.Received() {
		fmt.Printf("connection %d: %s\n", m.Conn, m.Data)
	}
	// Output:
	// connection 1: subscribe
	// connection 1: order 1
	// connection 2: subscribe
}

// ExampleClient_Close ends a session that never connected: what is still
// queued is reported to OnDeadLetter, never dropped silently, and the
// Client refuses further calls.
func ExampleClient_Close() {
	srv, err := wstest.NewServer(wstest.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	srv.StallHandshakes() // the server never answers
	ctx := context.Background()
	var mu sync.Mutex
	var dead []string
	c, err := client.Start(ctx, client.Options{
		URL: srv.URL(),
		OnDeadLetter: func(d client.DeadLetter) {
			mu.Lock()
			defer mu.Unlock()
			dead = append(dead, fmt.Sprintf("%s (%v)", d.Payload, d.Reason))
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range []string{"a", "b"} {
		if _, err := c.Send(ctx, transport.MessageText, []byte(p)); err != nil {
			fmt.Println(err)
			return
		}
	}

	fmt.Println("Close:", c.Close()) // returns once every goroutine and callback is done
	mu.Lock()
	fmt.Println("not delivered:", dead)
	mu.Unlock()
	_, err = c.Send(ctx, transport.MessageText, []byte("c"))
	fmt.Println("Send after Close:", err)
	// Output:
	// Close: <nil>
	// not delivered: [a (Closed) b (Closed)]
	// Send after Close: client: closed
}
