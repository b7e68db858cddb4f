package queue_test

import (
	"context"
	"fmt"
	"os"

	"github.com/sturdyws/sturdy/queue"
)

// A File keeps what was not acknowledged across a restart: here the first
// "run" pushes three messages and acknowledges one, the second finds the
// other two and numbers on.
func ExampleOpenFile() {
	dir, err := os.MkdirTemp("", "queue-example-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()

	q, err := queue.OpenFile(dir, queue.FileOptions{})
	if err != nil {
		panic(err)
	}
	for _, p := range []string{"a", "b", "c"} {
		if _, err := q.Push(ctx, queue.Message{Type: 1, Payload: []byte(p)}); err != nil {
			panic(err)
		}
	}
	_ = q.Ack(2)
	_ = q.Close() // or a crash: Push had already made each message durable

	q, err = queue.OpenFile(dir, queue.FileOptions{})
	if err != nil {
		panic(err)
	}
	defer q.Close()
	fmt.Println("recovered", q.Recovery().Entries)
	for e, ok := q.TryNext(); ok; e, ok = q.TryNext() {
		fmt.Println(e.Seq, string(e.Payload))
	}
	seq, _ := q.Push(ctx, queue.Message{Type: 1, Payload: []byte("d")})
	fmt.Println("next", seq)
	// Output:
	// recovered 2
	// 1 a
	// 3 c
	// next 4
}
