package heartbeat_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sturdyws/sturdy/heartbeat"
)

// silentPeer stands for a connection whose peer has vanished: pings are
// written, no pong ever comes back.
type silentPeer struct{}

func (silentPeer) Ping(context.Context, []byte) error { return nil }

func ExampleStart() {
	m, err := heartbeat.Start(silentPeer{}, heartbeat.Options{
		Interval: 20 * time.Millisecond,
		Timeout:  30 * time.Millisecond,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Stop()

	// A client selects on Done beside its read loop; when it fires it drops
	// the connection as 1006 and reconnects.
	<-m.Done()
	var dead *heartbeat.DeadError
	if errors.As(m.Err(), &dead) {
		fmt.Println("dead:", errors.Is(m.Err(), heartbeat.ErrDead))
		fmt.Println("waited:", dead.Waited)
		fmt.Println("mode:", dead.Mode)
	}
	// Output:
	// dead: true
	// waited: 30ms
	// mode: PongOnly
}

// textConn is a connection adapter for an application-level strategy: it
// sends heartbeats as data messages.
type textConn struct{ silentPeer }

func (textConn) SendHeartbeat(ctx context.Context, payload []byte, binary bool) error {
	return nil // a real adapter writes payload as a text (or binary) message
}

func ExampleText() {
	m, err := heartbeat.Start(textConn{}, heartbeat.Options{
		Strategy: heartbeat.Text("ping", "pong"),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Stop()

	// The reader hands every data message to the monitor first and swallows
	// heartbeat replies.
	for _, msg := range []string{`{"price":101.5}`, "pong"} {
		if m.MessageReceived([]byte(msg)) {
			fmt.Printf("%s: heartbeat reply, swallowed\n", msg)
			continue
		}
		fmt.Printf("%s: delivered to the application\n", msg)
	}
	// Output:
	// {"price":101.5}: delivered to the application
	// pong: heartbeat reply, swallowed
}

func ExampleJSON() {
	s := heartbeat.JSON("op", "ping", "pong")
	fmt.Printf("sends %s\n", s.Message)
	for _, msg := range []string{`{"op":"pong","ts":1700000000}`, `{"op":"trade"}`} {
		fmt.Printf("%s is a reply: %v\n", msg, s.IsReply([]byte(msg)))
	}
	// Output:
	// sends {"op":"ping"}
	// {"op":"pong","ts":1700000000} is a reply: true
	// {"op":"trade"} is a reply: false
}
