package queue_test

import (
	"context"
	"fmt"

	"github.com/sturdyws/sturdy/queue"
)

// The writer's loop in at-most-once mode: hand out, write, acknowledge.
func Example() {
	q := queue.NewMemory(queue.Options{})
	defer q.Close()
	ctx := context.Background()

	buf := []byte("hello")
	q.Push(ctx, queue.Message{Type: 1, Payload: buf})
	copy(buf, "HELLO") // Push copied it: the caller may reuse its buffer
	q.Push(ctx, queue.Message{Type: 1, Payload: []byte("world")})

	for {
		e, ok := q.TryNext()
		if !ok {
			break
		}
		fmt.Printf("write #%d %s\n", e.Seq, e.Payload)
		q.Ack(e.Seq)
	}
	n, _ := q.Len()
	fmt.Println("left:", n)
	// Output:
	// write #1 hello
	// write #2 world
	// left: 0
}

// At-least-once: entries stay until the server acknowledges them, and a
// reconnect replays what it has not.
func Example_atLeastOnce() {
	q := queue.NewMemory(queue.Options{})
	defer q.Close()
	ctx := context.Background()
	for _, s := range []string{"a", "b", "c"} {
		q.Push(ctx, queue.Message{Type: 1, Payload: []byte(s)})
	}
	for range 3 {
		e, _ := q.Next(ctx)
		fmt.Printf("sent %s\n", e.Payload)
	}
	q.AckThrough(1) // the server confirmed everything through #1

	// The connection dropped: replay from the oldest unacknowledged.
	q.Rewind()
	for {
		e, ok := q.TryNext()
		if !ok {
			break
		}
		fmt.Printf("resent %s\n", e.Payload)
	}
	// Output:
	// sent a
	// sent b
	// sent c
	// resent b
	// resent c
}

// A full queue under DropOldest evicts the oldest pending message and
// says so; at Close, Drain reports what was never sent.
func Example_dropOldest() {
	q := queue.NewMemory(queue.Options{
		MaxMessages: 2,
		Overflow:    queue.DropOldest,
		OnDrop: func(e queue.Entry, why queue.DropReason) {
			fmt.Printf("dropped #%d %s: %s\n", e.Seq, e.Payload, why)
		},
	})
	ctx := context.Background()
	for _, s := range []string{"tick 1", "tick 2", "tick 3"} {
		q.Push(ctx, queue.Message{Type: 1, Payload: []byte(s)})
	}
	q.Close()
	q.Drain(func(e queue.Entry) { fmt.Printf("unsent #%d %s\n", e.Seq, e.Payload) })
	// Output:
	// dropped #1 tick 1: OverflowOldest
	// unsent #2 tick 2
	// unsent #3 tick 3
}
