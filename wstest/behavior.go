package wstest

import (
	"context"
	"net/http"
	"sync"
)

// Behavior is what the server does on a connection: whether it accepts the
// handshake, what it runs once the connection is open, and how it answers
// each message. Every field is optional, so the zero Behavior accepts,
// records what it receives and sends nothing. Build behaviours with Echo,
// Stream, Sink, RequireHeader, Authorize and Refuse, combine them with
// Compose, or fill the fields for anything else.
//
// Whatever the behaviour, the server reads every connection continuously
// (so pings are answered and close frames honoured) and records every
// message it receives.
type Behavior struct {
	// Check inspects the upgrade request before it is accepted and returns
	// nil to accept it or a Rejection to refuse it. It runs on the
	// handshake's goroutine and must not modify r.
	Check func(r *http.Request) *Rejection

	// Open runs on its own goroutine once the connection is open, e.g. to
	// push messages. It must return when ctx is done, which happens when
	// the connection ends or the server closes; the connection ends only
	// after Open has returned.
	Open func(ctx context.Context, c *Conn)

	// Message is called with each data message the server reads, after it
	// is recorded, on the connection's reading goroutine: the next message
	// is not read until it returns. m.Data is a copy: changing it does not
	// change the record.
	Message func(ctx context.Context, c *Conn, m Message)
}

// Rejection is the HTTP response that refuses a handshake.
type Rejection struct {
	// Status is the HTTP status code, e.g. 401 or 503.
	Status int
	// Header holds extra response headers, e.g. Retry-After.
	Header http.Header
	// Body is the response body. Default: the status text.
	Body string
}

// Echo returns a Behavior that sends every message back, with its type.
func Echo() Behavior {
	return Behavior{Message: func(ctx context.Context, c *Conn, m Message) {
		// An error means the connection is ending or stalled; the reading
		// goroutine notices on its own.
		_ = c.Write(ctx, m.Type, m.Data)
	}}
}

// RequireHeader returns a Behavior that refuses with 401 Unauthorized any
// handshake whose header name does not have exactly value (the first value,
// as http.Header.Get returns it), e.g. RequireHeader("Authorization",
// "Bearer t2") to test token refresh.
func RequireHeader(name, value string) Behavior {
	return Authorize(func(r *http.Request) bool { return r.Header.Get(name) == value })
}

// Authorize returns a Behavior that refuses with 401 Unauthorized any
// handshake for which ok returns false. ok may be called concurrently.
func Authorize(ok func(r *http.Request) bool) Behavior {
	return Behavior{Check: func(r *http.Request) *Rejection {
		if ok(r) {
			return nil
		}
		return &Rejection{Status: http.StatusUnauthorized}
	}}
}

// Refuse returns a Behavior that refuses every handshake with status and
// header, e.g. a route that answers 404 or a server in maintenance (503
// with Retry-After). To refuse only the next few, see Server.RejectNext.
func Refuse(status int, header http.Header) Behavior {
	h := header.Clone()
	return Behavior{Check: func(*http.Request) *Rejection {
		return &Rejection{Status: status, Header: h}
	}}
}

// Compose returns a Behavior that does everything bs do: the first Check
// that refuses wins, every Open runs concurrently, and every Message hook
// runs in order. Compose(RequireHeader(…), Sink(ack)) is an authenticated
// sink; Compose(Echo(), Stream(…)) echoes while it streams.
func Compose(bs ...Behavior) Behavior {
	var out Behavior
	var checks []func(*http.Request) *Rejection
	var opens []func(context.Context, *Conn)
	var msgs []func(context.Context, *Conn, Message)
	for _, b := range bs {
		if b.Check != nil {
			checks = append(checks, b.Check)
		}
		if b.Open != nil {
			opens = append(opens, b.Open)
		}
		if b.Message != nil {
			msgs = append(msgs, b.Message)
		}
	}
	if len(checks) > 0 {
		out.Check = func(r *http.Request) *Rejection {
			for _, f := range checks {
				if rej := f(r); rej != nil {
					return rej
				}
			}
			return nil
		}
	}
	if len(opens) > 0 {
		out.Open = func(ctx context.Context, c *Conn) {
			// The composed Open owns these goroutines: it returns only when
			// all of them have, so the connection still waits for them.
			var wg sync.WaitGroup
			for _, f := range opens {
				wg.Go(func() { f(ctx, c) })
			}
			wg.Wait()
		}
	}
	if len(msgs) > 0 {
		out.Message = func(ctx context.Context, c *Conn, m Message) {
			for _, f := range msgs {
				f(ctx, c, m)
			}
		}
	}
	return out
}
