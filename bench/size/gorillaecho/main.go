// Command gorillaecho is examples/echo written on gorilla/websocket plus
// the reconnect loop sturdy's Client replaces (cenkalti/backoff): it sends
// a message and prints the reply, against -url or an embedded echo
// server. It exists to be measured: bench/size/measure compares its
// stripped size with examples/echo's. Built with -tags clientonly it has
// no embedded server, like bench/size/sturdyclient.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/gorilla/websocket"
)

func main() {
	url := flag.String("url", "", "echo server address (default: an embedded one)")
	flag.Parse()
	if *url == "" {
		addr, stop, err := startEmbedded()
		if err != nil {
			log.Fatal(err)
		}
		defer stop()
		*url = addr
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	reply, err := echo(ctx, *url, []byte("hello, sturdy"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s\n", reply)
}

// echo dials with exponential backoff until a connection is up or ctx
// ends, sends msg and returns the reply, redialling if the connection
// fails before the reply comes: what the application must do itself on
// a connection library.
func echo(ctx context.Context, url string, msg []byte) ([]byte, error) {
	b := backoff.WithContext(backoff.NewExponentialBackOff(backoff.WithMaxElapsedTime(0)), ctx)
	return backoff.RetryWithData(func() ([]byte, error) {
		conn, _, err := websocket.DefaultDialer.DialContext(ctx, url, nil)
		if err != nil {
			return nil, err
		}
		defer conn.Close()
		stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
		defer stop()
		if err := conn.WriteMessage(websocket.TextMessage, msg); err != nil {
			return nil, err
		}
		_, p, err := conn.ReadMessage()
		return p, err
	}, b)
}
