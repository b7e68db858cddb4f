// Echo is the smallest program using sturdy's Client: it sends a message
// and prints the reply, against -url or an embedded echo server.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"time"

	"github.com/sturdyws/sturdy/client"
	"github.com/sturdyws/sturdy/transport"
	"github.com/sturdyws/sturdy/wstest"
)

func main() {
	url := flag.String("url", "", "echo server address (default: an embedded one)")
	flag.Parse()
	if *url == "" {
		srv := must(wstest.NewServer(wstest.Options{Default: wstest.Echo()}))
		defer srv.Close()
		*url = srv.URL()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := must(client.Start(ctx, client.Options{URL: *url}))
	defer c.Close()
	must(c.Send(ctx, transport.MessageText, []byte("hello, sturdy"))) // queued until connected
	fmt.Printf("%s\n", must(c.Read(ctx)).Payload)
}

// must ends the program on an error; the exit closes what defer would.
func must[T any](v T, err error) T {
	if err != nil {
		log.Fatal(err)
	}
	return v
}
