// Command sturdyclient is examples/echo without its embedded server: the
// Client alone, against -url. It exists to be measured beside
// gorillaecho built with -tags clientonly (bench/size/measure).
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"time"

	"github.com/sturdyws/sturdy/client"
	"github.com/sturdyws/sturdy/transport"
)

func main() {
	url := flag.String("url", "", "echo server address")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	reply, err := echo(ctx, *url, []byte("hello, sturdy"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s\n", reply)
}

// echo sends msg through a Client, which connects (and reconnects) with
// its backoff, and returns the reply.
func echo(ctx context.Context, url string, msg []byte) ([]byte, error) {
	c, err := client.Start(ctx, client.Options{URL: url})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if _, err := c.Send(ctx, transport.MessageText, msg); err != nil {
		return nil, err
	}
	m, err := c.Read(ctx)
	if err != nil {
		return nil, err
	}
	return m.Payload, nil
}
