package transport_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/sturdyws/sturdy/transport"
)

// ExampleDial connects to an echo server built with Accept, sends a
// message, reads the echo and closes the connection with a handshake.
func ExampleDial() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := transport.Accept(w, r, &transport.AcceptOptions{Subprotocols: []string{"echo.v1"}})
		if err != nil {
			return // Accept has answered the request with an HTTP error
		}
		defer c.CloseNow()
		for {
			// A real server would pass a context it cancels on shutdown.
			typ, msg, err := c.Read(context.Background())
			if err != nil {
				return // the client closed, or the connection failed
			}
			if err := c.Write(context.Background(), typ, msg); err != nil {
				return
			}
		}
	}))
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// srv.URL is http://127.0.0.1:port; Dial takes it as ws://.
	c, resp, err := transport.Dial(ctx, srv.URL, &transport.DialOptions{
		Subprotocols: []string{"echo.v1"},
	})
	if err != nil {
		var he *transport.HandshakeError
		if errors.As(err, &he) {
			fmt.Println("server refused:", he.StatusCode)
		}
		return
	}
	fmt.Println(resp.StatusCode, c.Subprotocol())

	if err := c.Write(ctx, transport.MessageText, []byte("hello")); err != nil {
		fmt.Println(err)
		return
	}
	typ, msg, err := c.Read(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(typ, string(msg))

	if err := c.Close(transport.StatusNormalClosure, "done"); err != nil {
		fmt.Println(err)
	}
	// Output:
	// 101 echo.v1
	// Text hello
}
