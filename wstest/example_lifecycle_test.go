package wstest_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"syscall"
	"time"

	"github.com/sturdyws/sturdy/transport"
	"github.com/sturdyws/sturdy/wstest"
)

// ExampleServer_Stop takes the server down for real, as an outage would:
// the open connection is dropped, new ones are refused, and Restart brings
// the server back on the same address. A test of a reconnecting client
// keeps the server down for as long as it wants between the two (for a
// 3-second outage, time.Sleep(3*time.Second) or a fake clock).
func ExampleServer_Stop() {
	srv, err := wstest.NewServer(wstest.Options{Default: wstest.Echo()})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := transport.Dial(ctx, srv.URL(), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.CloseNow()

	srv.Stop()
	_, _, err = c.Read(ctx)
	fmt.Println("open connection:", transport.CloseStatus(err))
	_, _, err = transport.Dial(ctx, srv.URL(), nil)
	fmt.Println("while down, refused:", errors.Is(err, syscall.ECONNREFUSED))

	if err := srv.Restart(); err != nil {
		fmt.Println(err)
		return
	}
	c2, _, err := transport.Dial(ctx, srv.URL(), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c2.CloseNow()
	fmt.Println("back on", srv.URL() == "ws://"+srv.Addr().String(), "as connection", srv.Snapshot().Accepted())
	// Output:
	// open connection: AbnormalClosure
	// while down, refused: true
	// back on true as connection 2
}

// ExampleOptions_readRate plays a slow link: the server reads at most
// 1 MiB/s, so a 2 MiB message takes about two seconds to arrive, making
// progress all along. A client's liveness checks and write timeouts can
// be tested against it.
func ExampleOptions_readRate() {
	srv, err := wstest.NewServer(wstest.Options{ReadRate: 1 << 20})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, _, err := transport.Dial(ctx, srv.URL(), &transport.DialOptions{WriteTimeout: time.Second})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.CloseNow()

	msg := bytes.Repeat([]byte("x"), 2<<20)
	start := time.Now()
	if err := c.Write(ctx, transport.MessageBinary, msg); err != nil {
		fmt.Println(err)
		return
	}
	if err := srv.WaitReceived(ctx, 1); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("arrived whole:", bytes.Equal(srv.Received()[0].Data, msg))
	fmt.Println("at most 1 MiB/s:", time.Since(start) >= 1800*time.Millisecond)
	// Output:
	// arrived whole: true
	// at most 1 MiB/s: true
}
