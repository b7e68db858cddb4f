package client_test

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/sturdyws/sturdy/client"
	"github.com/sturdyws/sturdy/transport"
	"github.com/sturdyws/sturdy/wstest"
)

// ExampleMessage_stamp puts each message's sequence number into its
// payload as it is queued, so the number the server acknowledges is the
// one the message carries, whatever other goroutines send meanwhile.
func ExampleMessage_stamp() {
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
		fmt.Println(err)
		return
	}
	defer c.Close()

	// Twenty spaces before the number keep the JSON valid and the length
	// fixed, whatever the number.
	const prefix = `{"seq":`
	stamp := func(seq uint64, p []byte) {
		digits := strconv.AppendUint(nil, seq, 10)
		copy(p[len(prefix)+20-len(digits):], digits)
	}
	for _, item := range []string{"apples", "pears"} {
		payload := []byte(prefix + "                    " + `,"item":"` + item + `"}`)
		if _, err := c.SendMessage(ctx, client.Message{Type: transport.MessageText, Payload: payload, Stamp: stamp}); err != nil {
			fmt.Println(err)
			return
		}
	}
	if err := c.Flush(ctx); err != nil {
		fmt.Println(err)
		return
	}
	for _, m := range srv.Received() {
		fmt.Println(string(m.Data))
	}
	// Output:
	// {"seq":                   1,"item":"apples"}
	// {"seq":                   2,"item":"pears"}
}

// ExampleFromContext marks a connection healthy from OnConnect, once the
// server has confirmed the subscription, so the backoff starts over at its
// shortest interval when this connection drops.
func ExampleFromContext() {
	srv, err := wstest.NewServer(wstest.Options{Default: wstest.Echo()})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.Start(ctx, client.Options{
		URL: srv.URL(),
		OnConnect: func(ctx context.Context, conn *transport.Conn) error {
			if err := conn.Write(ctx, transport.MessageText, []byte("subscribe")); err != nil {
				return err
			}
			if _, reply, err := conn.Read(ctx); err != nil || string(reply) != "subscribe" {
				return fmt.Errorf("subscription refused: %q, %v", reply, err)
			}
			if c, ok := client.FromContext(ctx); ok {
				c.MarkHealthy()
			}
			return nil
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	fmt.Println(c.WaitConnected(ctx))
	// Output:
	// <nil>
}
