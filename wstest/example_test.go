package wstest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/sturdyws/sturdy/transport"
	"github.com/sturdyws/sturdy/wstest"
)

// ExampleServer starts an echo server, exchanges a message with it, and
// reads the server's record of the conversation.
func ExampleServer() {
	srv, err := wstest.NewServer(wstest.Options{Default: wstest.Echo()})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close() // in a test: srv := wstest.Start(t, opts)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := transport.Dial(ctx, srv.URL()+"/echo", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.CloseNow()
	if err := c.Write(ctx, transport.MessageText, []byte("hello")); err != nil {
		fmt.Println(err)
		return
	}
	_, msg, err := c.Read(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("echo:", string(msg))

	m := srv.Received()[0]
	fmt.Printf("server got %q on connection %d\n", m.Data, m.Conn)
	// Output:
	// echo: hello
	// server got "hello" on connection 1
}

// ExampleServer_RejectNext makes the server refuse the next handshake with
// 503 and a Retry-After, as an overloaded server would, and shows what the
// client sees, then lets the next one through.
func ExampleServer_RejectNext() {
	srv, err := wstest.NewServer(wstest.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	srv.RejectNext(1, http.StatusServiceUnavailable, http.Header{"Retry-After": {"2"}})

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _, err = transport.Dial(ctx, srv.URL(), nil)
	var he *transport.HandshakeError
	if errors.As(err, &he) {
		fmt.Println("refused:", he.StatusCode, "retry after", he.RetryAfter)
	}
	c, _, err := transport.Dial(ctx, srv.URL(), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.CloseNow()
	for _, h := range srv.Snapshot().Handshakes {
		fmt.Println("attempt", h.Attempt, "answered", h.Status)
	}
	// Output:
	// refused: 503 retry after 2s
	// attempt 1 answered 503
	// attempt 2 answered 101
}

// ExampleStream shows a numbered stream going on across a dropped
// connection: the consumer proves it missed nothing with ParseSeq.
func ExampleStream() {
	srv, err := wstest.NewServer(wstest.Options{
		Routes: map[string]wstest.Behavior{
			"/feed": wstest.Stream(wstest.StreamOptions{Count: 2}),
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for range 2 {
		c, _, err := transport.Dial(ctx, srv.URL()+"/feed", nil)
		if err != nil {
			fmt.Println(err)
			return
		}
		for range 2 {
			_, p, err := c.Read(ctx)
			if err != nil {
				fmt.Println(err)
				return
			}
			seq, _ := wstest.ParseSeq(p)
			fmt.Printf("%s seq=%d\n", p, seq)
		}
		_ = srv.DropAll()
		_, _, err = c.Read(ctx)
		fmt.Println("then", transport.CloseStatus(err))
		// Wait for the server to finish with the connection, never sleep.
		if err := srv.WaitLive(ctx, 0); err != nil {
			fmt.Println(err)
			return
		}
	}
	// Output:
	// {"seq":1} seq=1
	// {"seq":2} seq=2
	// then AbnormalClosure
	// {"seq":3} seq=3
	// {"seq":4} seq=4
	// then AbnormalClosure
}

// ExampleRule scripts faults: the first connection is dropped as soon as
// it opens (a flapping server), and every connection is closed with 1012
// once it has received two messages.
func ExampleRule() {
	srv, err := wstest.NewServer(wstest.Options{
		Default: wstest.Sink(nil),
		Script: []wstest.Rule{
			{Conn: 1, Do: wstest.Drop()},
			{AfterReceived: 2, Do: wstest.CloseWith(transport.StatusServiceRestart, "restart")},
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for range 2 {
		c, _, err := transport.Dial(ctx, srv.URL(), nil)
		if err != nil {
			fmt.Println(err)
			return
		}
		_ = c.Write(ctx, transport.MessageText, []byte("a"))
		_ = c.Write(ctx, transport.MessageText, []byte("b"))
		_, _, err = c.Read(ctx)
		fmt.Println("connection", srv.Snapshot().Accepted(), "ended with", transport.CloseStatus(err))
		_ = c.CloseNow()
	}
	// Output:
	// connection 1 ended with AbnormalClosure
	// connection 2 ended with ServiceRestart
}

// ExampleCheckDelivery checks a history of an at-least-once session: the
// first connection died after the server read "b" but before its ack went
// out, so the client sent "b" again on the second.
func ExampleCheckDelivery() {
	sent := [][]byte{[]byte("a"), []byte("b"), []byte("c")}
	got := []wstest.Message{
		{Conn: 1, Index: 1, Data: []byte("a")},
		{Conn: 1, Index: 2, Data: []byte("b")},
		{Conn: 2, Index: 1, Data: []byte("b")},
		{Conn: 2, Index: 2, Data: []byte("c")},
	}
	fmt.Println(wstest.CheckDelivery(sent, got))
	fmt.Println(wstest.CheckDelivery(sent, got[:3]))
	// Output:
	// <nil>
	// wstest: 1 of 3 messages never arrived, the first "c" (sent #3)
}
