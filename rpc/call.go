package rpc

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/sturdyws/sturdy/transport"
)

// errLost completes a call whose connection ended before its answer;
// the caller turns it into a resend or ErrConnectionLost.
var errLost = errors.New("rpc: lost")

// request is one request of a call: its method as a JSON string and its
// params as raw JSON (nil: none).
type request struct {
	method, params []byte
}

// call is a request, or a batch, waiting for its answers. Its ids are
// first … first+len(reqs)-1. Every field but done is written under
// Client.mu until done is closed, and read by the caller after.
type call struct {
	reqs      []request
	first     uint64
	gen       uint64 // the connection it was written to
	remaining int
	results   [][]byte
	errs      []error
	err       error // the whole call failed: errLost, ErrClosed, ...
	done      chan struct{}

	sub   *Subscription // a subscribe call: the router maps its id
	renew bool          // … made to renew the subscription on a new connection
}

func newCall(reqs []request) *call {
	return &call{
		reqs:    reqs,
		results: make([][]byte, len(reqs)),
		errs:    make([]error, len(reqs)),
		done:    make(chan struct{}),
	}
}

// register gives cl fresh ids on connection gen and adds it to the
// pending table. Called with mu held; false when the session has ended.
func (c *Client) register(cl *call, gen uint64) bool {
	if c.endErr != nil {
		return false
	}
	n := uint64(len(cl.reqs))
	cl.first = c.nextID.Add(n) - n + 1
	cl.gen, cl.remaining, cl.err = gen, len(cl.reqs), nil
	clear(cl.results)
	clear(cl.errs)
	for i := range n {
		c.pending[cl.first+i] = cl
	}
	return true
}

// forget removes cl from the pending table (its caller gave up): a late
// answer then matches nothing, since its ids are never used again.
func (c *Client) forget(cl *call) {
	c.mu.Lock()
	for i := range uint64(len(cl.reqs)) {
		if c.pending[cl.first+i] == cl {
			delete(c.pending, cl.first+i)
		}
	}
	c.mu.Unlock()
}

// abandon gives up on cl, unless it was answered already (false). A
// subscribe call stays pending, its subscription ended, so that a late
// answer's id is unsubscribed on the server rather than left sending
// events nobody reads.
func (c *Client) abandon(cl *call, err error) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	select {
	case <-cl.done:
		return false
	default:
	}
	if cl.sub != nil {
		cl.sub.end(err) // takes only the subscription's lock, after mu
		return true
	}
	for i := range uint64(len(cl.reqs)) {
		if c.pending[cl.first+i] == cl {
			delete(c.pending, cl.first+i)
		}
	}
	return true
}

// finish completes cl with err. Called with mu held.
func (c *Client) finish(cl *call, err error) {
	for i := range uint64(len(cl.reqs)) {
		delete(c.pending, cl.first+i)
	}
	cl.err = err
	cl.remaining = 0
	close(cl.done)
}

// encode writes cl's requests as one message: an object, or an array for
// a batch.
func (cl *call) encode() []byte {
	size := 2
	for _, r := range cl.reqs {
		size += len(r.method) + len(r.params) + 48
	}
	b := make([]byte, 0, size)
	if len(cl.reqs) > 1 {
		b = append(b, '[')
	}
	for i, r := range cl.reqs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendRequest(b, cl.first+uint64(i), r.method, r.params)
	}
	if len(cl.reqs) > 1 {
		b = append(b, ']')
	}
	return b
}

// roundTrip sends cl on the live connection and waits for its answers.
// When the connection ends first, an idempotent call is sent again on the
// next one with new ids; any other fails with ErrConnectionLost.
func (c *Client) roundTrip(ctx context.Context, cl *call, idempotent bool) error {
	for {
		conn, gen, err := c.waitConn(ctx)
		if err != nil {
			return err
		}
		c.mu.Lock()
		ok := c.register(cl, gen)
		end := c.endErr
		c.mu.Unlock()
		if !ok {
			return end
		}
		// Written without ctx: cancelling a write half way would fail the
		// whole connection. The Conn's write timeout bounds it.
		err = conn.Write(context.Background(), transport.MessageText, cl.encode())
		if errors.Is(err, transport.ErrInvalidUTF8) {
			// Refused, nothing sent (raw params that are not UTF-8): no
			// answer will come.
			c.forget(cl)
			return err
		}
		if err != nil && errors.Is(err, transport.ErrClosed) {
			// The connection was gone before the message: nothing of it
			// left, so it is sent on the next one whatever the method.
			c.forget(cl)
			select {
			case <-cl.done: // completed meanwhile (lost or closed)
				if cl.err != errLost {
					return cl.err
				}
			default:
			}
			cl.done = make(chan struct{})
			continue
		}
		select {
		case <-cl.done:
		case <-ctx.Done():
			if c.abandon(cl, ctx.Err()) {
				return ctx.Err()
			}
			// Answered before it could be abandoned: the answer stands
			// (for a subscribe call, the subscription exists).
		}
		switch {
		case cl.err == errLost && idempotent:
			cl.done = make(chan struct{})
			continue
		case cl.err == errLost:
			return ErrConnectionLost
		}
		return cl.err
	}
}

// Call calls method with params (nil for none; any value encoding/json
// can encode, or a json.RawMessage) and decodes the result into result (a
// pointer, or nil to discard it; a *json.RawMessage keeps it raw). A
// server error is returned as a *Error. The call waits for a connection
// while disconnected; ctx bounds the whole wait.
func (c *Client) Call(ctx context.Context, method string, params, result any) error {
	p, err := marshalParams(params)
	if err != nil {
		return err
	}
	cl := newCall([]request{{method: quoteMethod(method), params: p}})
	if err := c.roundTrip(ctx, cl, c.idempotent(method)); err != nil {
		return err
	}
	if cl.errs[0] != nil {
		return cl.errs[0]
	}
	return decodeResult(cl.results[0], result)
}

// BatchElem is one call of a batch.
type BatchElem struct {
	Method string
	Params any
	// Result receives the result, as for Call.
	Result any
	// Error is set to this call's error: a *Error from the server, or a
	// decoding error.
	Error error
}

// BatchCall sends the calls of b as one JSON-RPC batch and waits for all
// their answers, setting each element's Result or Error. Its own error
// says the batch as a whole failed (connection lost, ctx, closed); the
// batch is resent after a reconnect only when every method in it is
// idempotent.
func (c *Client) BatchCall(ctx context.Context, b []BatchElem) error {
	if len(b) == 0 {
		return nil
	}
	reqs := make([]request, len(b))
	idempotent := true
	for i, e := range b {
		p, err := marshalParams(e.Params)
		if err != nil {
			return err
		}
		reqs[i] = request{method: quoteMethod(e.Method), params: p}
		idempotent = idempotent && c.idempotent(e.Method)
	}
	cl := newCall(reqs)
	if err := c.roundTrip(ctx, cl, idempotent); err != nil {
		return err
	}
	for i := range b {
		if b[i].Error = cl.errs[i]; b[i].Error == nil {
			b[i].Error = decodeResult(cl.results[i], b[i].Result)
		}
	}
	return nil
}

// Notify sends a notification (a request without id, which the server
// does not answer). It waits for a connection while disconnected; once
// written, whether the server read it is unknown, as for any
// notification.
func (c *Client) Notify(ctx context.Context, method string, params any) error {
	p, err := marshalParams(params)
	if err != nil {
		return err
	}
	msg := appendRequest(nil, 0, quoteMethod(method), p)
	for {
		conn, _, err := c.waitConn(ctx)
		if err != nil {
			return err
		}
		if err := conn.Write(context.Background(), transport.MessageText, msg); err == nil || !errors.Is(err, transport.ErrClosed) {
			return err
		}
	}
}

func (c *Client) idempotent(method string) bool {
	return c.opts.Idempotent != nil && c.opts.Idempotent(method)
}

func decodeResult(raw []byte, result any) error {
	if result == nil {
		return nil
	}
	if r, ok := result.(*json.RawMessage); ok {
		*r = raw
		return nil
	}
	return json.Unmarshal(raw, result)
}
