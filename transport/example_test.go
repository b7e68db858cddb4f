package transport_test

import (
	"context"
	"errors"
	"fmt"
	"io"
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

// ExampleConn_Read reads messages until the peer closes the connection,
// the usual shape of a client's read loop: the loop ends on an error, and
// CloseStatus tells a clean close from a failure.
func ExampleConn_Read() {
	srv := exampleServer(func(ctx context.Context, c *transport.Conn) {
		for _, tick := range []string{"tick 1", "tick 2"} {
			if err := c.Write(ctx, transport.MessageText, []byte(tick)); err != nil {
				return
			}
		}
		_ = c.Close(transport.StatusNormalClosure, "feed over")
	})
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := transport.Dial(ctx, srv.URL, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.CloseNow()
	for {
		typ, msg, err := c.Read(ctx)
		if err != nil {
			var ce *transport.CloseError
			if errors.As(err, &ce) {
				fmt.Println("closed:", ce.Code, ce.Reason)
			}
			return
		}
		fmt.Println(typ, string(msg))
	}
	// Output:
	// Text tick 1
	// Text tick 2
	// closed: NormalClosure feed over
}

// ExampleConn_Write sends a binary message; the server answers with the
// size it received.
func ExampleConn_Write() {
	srv := exampleServer(func(ctx context.Context, c *transport.Conn) {
		typ, msg, err := c.Read(ctx)
		if err != nil {
			return
		}
		_ = c.Write(ctx, transport.MessageText, fmt.Appendf(nil, "%v message of %d bytes", typ, len(msg)))
		_, _, _ = c.Read(ctx) // waits for the client's close, and answers it
	})
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := transport.Dial(ctx, srv.URL, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.CloseNow()
	if err := c.Write(ctx, transport.MessageBinary, []byte{0xde, 0xad, 0xbe, 0xef}); err != nil {
		fmt.Println(err)
		return
	}
	_, reply, err := c.Read(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(reply))
	if err := c.Close(transport.StatusNormalClosure, ""); err != nil {
		fmt.Println(err)
	}
	// Output:
	// Binary message of 4 bytes
}

// ExampleConn_Writer streams one message in pieces, for data produced
// bit by bit: the peer receives it as a single message.
func ExampleConn_Writer() {
	srv := exampleServer(func(ctx context.Context, c *transport.Conn) {
		typ, msg, err := c.Read(ctx)
		if err != nil {
			return
		}
		_ = c.Write(ctx, typ, msg) // echo
		_, _, _ = c.Read(ctx)      // waits for the client's close, and answers it
	})
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := transport.Dial(ctx, srv.URL, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.CloseNow()
	w, err := c.Writer(ctx, transport.MessageText)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, row := range []string{"id,price\n", "1,100\n", "2,101\n"} {
		if _, err := io.WriteString(w, row); err != nil {
			fmt.Println(err)
			return
		}
	}
	// Close sends the last fragment; until then no other message can go.
	if err := w.Close(); err != nil {
		fmt.Println(err)
		return
	}
	_, echo, err := c.Read(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(string(echo))
	if err := c.Close(transport.StatusNormalClosure, ""); err != nil {
		fmt.Println(err)
	}
	// Output:
	// id,price
	// 1,100
	// 2,101
}

// ExampleConn_Close ends a connection with the closing handshake: Close
// returns nil once the server has answered, which proves it read
// everything sent before. The server sees the code and reason.
func ExampleConn_Close() {
	seen := make(chan error, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := transport.Accept(w, r, nil)
		if err != nil {
			seen <- err
			return
		}
		defer c.CloseNow()
		_, _, err = c.Read(context.Background()) // answers the close frame
		seen <- err
	}))
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := transport.Dial(ctx, srv.URL, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("Close:", c.Close(transport.StatusGoingAway, "shutting down"))
	var ce *transport.CloseError
	if err := <-seen; errors.As(err, &ce) {
		fmt.Println("server saw:", ce.Code, ce.Reason)
	} else {
		fmt.Println("server:", err)
	}
	// Output:
	// Close: <nil>
	// server saw: GoingAway shutting down
}

// exampleServer starts a WebSocket server on loopback whose connections run
// handle, with a context that is never cancelled; the examples close it.
func exampleServer(handle func(ctx context.Context, c *transport.Conn)) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := transport.Accept(w, r, nil)
		if err != nil {
			return // Accept has answered the request with an HTTP error
		}
		defer c.CloseNow()
		handle(context.Background(), c)
	}))
}
