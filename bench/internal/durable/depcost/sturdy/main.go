// Command sturdy is the smallest program that keeps a durable queue in
// sturdy's queue.File: what the dependency cost table builds.
package main

import (
	"context"

	"github.com/sturdyws/sturdy/queue"
)

func main() {
	f, err := queue.OpenFile("q", queue.FileOptions{})
	if err != nil {
		panic(err)
	}
	seq, _ := f.Push(context.Background(), queue.Message{Payload: []byte("x")})
	_ = f.Ack(seq)
	_ = f.Close()
}
