package interop

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sturdyws/sturdy/client"
	"github.com/sturdyws/sturdy/transport"
	"github.com/sturdyws/sturdy/wstest"
)

// TestLargeMessageThroughThrottledLink: one 16 MiB message through a link
// of 256 KB/s (Toxiproxy's bandwidth toxic), with the Client's default
// heartbeat, write timeout and fragment size, arrives intact with no
// reconnect. The message takes over a minute to cross, so every ping
// waits behind it for far longer than the heartbeat's timeout, and no
// single write of it could finish within the write timeout: only stall
// detection that measures progress, and a heartbeat that sees the socket
// taking bytes, keep the connection. The issue found a reconnect every
// 10 s and nothing delivered, ever.
func TestLargeMessageThroughThrottledLink(t *testing.T) {
	t.Parallel()
	srv := wstest.Start(t, wstest.Options{})
	px := startProxy(t, srv.Addr().String())
	if err := px.toxic("throttle", "bandwidth", "upstream", `{"rate":256}`, 0).start(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var mu sync.Mutex
	var changes []client.StateChange
	c, err := client.Start(ctx, client.Options{
		URL: "ws://" + px.addr() + "/",
		Dial: transport.DialOptions{
			Proxy:     noProxy,
			ReadLimit: 32 << 20,
		},
		OnStateChange: func(ch client.StateChange) { mu.Lock(); changes = append(changes, ch); mu.Unlock() },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	payload := make([]byte, 16<<20)
	for i := range payload {
		payload[i] = byte(i*7 + i>>16)
	}
	began := time.Now()
	if _, err := c.Send(ctx, transport.MessageBinary, payload); err != nil {
		t.Fatal(err)
	}
	if err := c.Flush(ctx); err != nil { // AtMostOnce: the server confirmed reading it
		t.Fatalf("Flush: %v (stats %+v)", err, c.Stats())
	}
	took := time.Since(began)
	got := srv.Received()
	if len(got) != 1 || !bytes.Equal(got[0].Data, payload) {
		t.Fatalf("the server read %d messages, want the one 16 MiB message intact", len(got))
	}
	s := c.Stats()
	mu.Lock()
	defer mu.Unlock()
	if s.Reconnects != 0 || s.Dropped != 0 {
		t.Fatalf("%d reconnects, %d dropped; changes: %v", s.Reconnects, s.Dropped, describeChanges(changes))
	}
	t.Logf("16 MiB through 256 KB/s in %v with the default heartbeat: no reconnect", took.Round(time.Second))
}

// describeChanges lists state changes with their causes, for a failure.
func describeChanges(cs []client.StateChange) string {
	var b bytes.Buffer
	for _, c := range cs {
		fmt.Fprintf(&b, "%v→%v (%v); ", c.From, c.To, c.Cause)
	}
	return b.String()
}
