package interop

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/sturdyws/sturdy/client"
	"github.com/sturdyws/sturdy/heartbeat"
	"github.com/sturdyws/sturdy/transport"
)

// bugExpiredAfterWrite describes a client bug the at-most-once soak found
// (fixed in commit 81f814d): an AtMostOnce message written to a connection
// whose confirmation never came back was reported ReasonExpired ("never
// sent") instead of ReasonUnconfirmed when its MaxAge passed before the
// connection ended, because client/confirm.go reportUnconfirmed walked the
// unconfirmed range with queue.TryNext, which drops expired entries as
// expired. The tests below guard against its return.
const bugExpiredAfterWrite = "an AtMostOnce message that was written (and read by the server) was reported ReasonExpired, " +
	"\"never sent\", instead of ReasonUnconfirmed (the bug fixed in 81f814d)"

// TestAtMostOnceWrittenThenExpired is the bug above in its smallest form:
// a server that reads every message but never answers a ping. The client
// writes one message (MaxAge 100 ms), its delivery-confirmation ping goes
// unanswered, and the heartbeat drops the connection after 300 ms. The
// message was written, and the server read it, so it must be reported
// Unconfirmed (it may have arrived), never Expired (it was never sent).
func TestAtMostOnceWrittenThenExpired(t *testing.T) {
	addr, got := noPongServer(t)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	dead := make(chan client.DeadLetter, 4)
	c, err := client.Start(ctx, client.Options{
		URL:          "ws://" + addr + "/",
		Dial:         transport.DialOptions{Proxy: noProxy},
		Delivery:     client.AtMostOnce,
		MaxAge:       100 * time.Millisecond,
		Heartbeat:    heartbeat.Options{Interval: 50 * time.Millisecond, Timeout: 300 * time.Millisecond},
		Backoff:      fastBackoff(),
		OnDeadLetter: func(d client.DeadLetter) { dead <- d },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.WaitConnected(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Send(ctx, transport.MessageText, []byte("order 1")); err != nil {
		t.Fatal(err)
	}
	select {
	case p := <-got:
		if string(p) != "order 1" {
			t.Fatalf("server read %q, want \"order 1\"", p)
		}
	case <-ctx.Done():
		t.Fatal("the server never read the message")
	}
	var d client.DeadLetter
	select {
	case d = <-dead:
	case <-ctx.Done():
		t.Fatal("the unconfirmed message was never reported")
	}
	if err := c.Close(); err != nil && !errors.Is(err, client.ErrUndelivered) {
		t.Fatalf("Close: %v", err)
	}
	if d.Seq != 1 {
		t.Fatalf("dead letter for seq %d, want 1", d.Seq)
	}
	if d.Reason == client.ReasonExpired {
		t.Fatal(bugExpiredAfterWrite)
	}
	if d.Reason != client.ReasonUnconfirmed {
		t.Fatalf("the message the server read was reported %v, want Unconfirmed", d.Reason)
	}
}

// noPongServer starts a server that reads every data message into got and
// answers no ping (readNoPong), and stops it, and every connection it
// accepted, when the test ends.
func noPongServer(t *testing.T) (addr string, got <-chan []byte) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	msgs := make(chan []byte, 16)
	var wg sync.WaitGroup
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer nc.Close()
				readNoPong(nc, msgs)
			}()
		}
	}()
	return ln.Addr().String(), msgs
}

// readNoPong completes the handshake and reads data messages into got,
// ignoring pings: to the client the peer looks dead, yet every byte it
// sent was read.
func readNoPong(nc net.Conn, got chan<- []byte) {
	p := newPeer(nc)
	if p.readRequest() != nil || p.switching() != nil {
		return
	}
	for {
		f, err := p.readFrame()
		if err != nil || f.op == opClose {
			return
		}
		if f.op == opText || f.op == opBinary {
			select {
			case got <- f.payload:
			default:
			}
		}
	}
}
