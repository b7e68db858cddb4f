package interop

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sturdyws/sturdy/client"
	"github.com/sturdyws/sturdy/transport"
)

// TestAtMostOnceNeverAnsweredKeepsSending: a peer that never answers the
// client's delivery-confirmation pings (RFC 6455 §5.5.3 lets a peer answer
// only the latest of several pings; this one answers none) must not stall
// the writer. The client used to wait for the outstanding ping's pong
// before it wrote anything more once two batches had gone out, so the
// third message was never sent while the connection stayed up. Every
// message must reach the server, and each is reported Unconfirmed at
// Close, since none was confirmed.
func TestAtMostOnceNeverAnsweredKeepsSending(t *testing.T) {
	addr, got := noPongServer(t)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var mu sync.Mutex
	var dead []client.DeadLetter
	c, err := client.Start(ctx, client.Options{
		URL:      "ws://" + addr + "/",
		Dial:     transport.DialOptions{Proxy: noProxy, CloseTimeout: 100 * time.Millisecond},
		Delivery: client.AtMostOnce,
		// Only the confirmation pings go unanswered; no heartbeat to
		// notice and drop the connection.
		DisableHeartbeat: true,
		Backoff:          fastBackoff(),
		OnDeadLetter: func(d client.DeadLetter) {
			mu.Lock()
			dead = append(dead, d)
			mu.Unlock()
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.WaitConnected(ctx); err != nil {
		t.Fatal(err)
	}
	const n = 5
	for i := 1; i <= n; i++ {
		want := fmt.Sprintf("order %d", i)
		if _, err := c.Send(ctx, transport.MessageText, []byte(want)); err != nil {
			t.Fatal(err)
		}
		// One at a time: each message finds the queue idle again.
		select {
		case p := <-got:
			if string(p) != want {
				t.Fatalf("server read %q, want %q", p, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("message %d never reached the server: the writer waits for a pong that never comes", i)
		}
	}
	if err := c.Close(); err != nil && !errors.Is(err, client.ErrUndelivered) {
		t.Fatalf("Close: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(dead) != n {
		t.Fatalf("%d dead letters, want %d (every message unconfirmed)", len(dead), n)
	}
	for i, d := range dead {
		if d.Seq != uint64(i+1) || d.Reason != client.ReasonUnconfirmed {
			t.Fatalf("dead letter %d: seq %d reason %v, want seq %d Unconfirmed", i, d.Seq, d.Reason, i+1)
		}
	}
}
