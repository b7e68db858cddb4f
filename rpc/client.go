package rpc

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/sturdyws/sturdy/client"
	"github.com/sturdyws/sturdy/transport"
)

// Client is a JSON-RPC 2.0 session over a sturdy client.Client: calls,
// batches, notifications and subscriptions that keep flowing across
// reconnects. All methods are safe for concurrent use.
type Client struct {
	cl      *client.Client
	opts    Options
	dialect Dialect
	log     *slog.Logger

	ctx    context.Context // ends with Close or Start's ctx
	cancel context.CancelFunc
	nextID atomic.Uint64  // ids are never reused in a session: 1, 2, 3…
	wg     sync.WaitGroup // background unsubscribes

	// mu guards the session state below. It is never held while writing
	// to the network or running the program's code.
	mu        sync.Mutex
	conn      *transport.Conn // the live connection, or one that just ended
	gen       uint64          // counts connections: the one conn belongs to
	connReady chan struct{}   // closed and replaced when conn changes
	pending   map[uint64]*call
	subs      map[string]*Subscription   // by the server's id on conn
	active    map[*Subscription]struct{} // renewed on every connection
	endErr    error                      // set when the session has ended

	rd reader
}

// Start validates opts and starts the session in the background, like
// client.Start: calls made before the first connection wait for it.
// Cancelling ctx ends the session like Close.
func Start(ctx context.Context, opts Options) (*Client, error) {
	c := &Client{
		opts:      opts,
		dialect:   opts.Dialect,
		log:       opts.Client.Logger,
		connReady: make(chan struct{}),
		pending:   make(map[uint64]*call),
		subs:      make(map[string]*Subscription),
		active:    make(map[*Subscription]struct{}),
	}
	if c.dialect == nil {
		c.dialect = Eth{}
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	c.ctx, c.cancel = context.WithCancel(ctx)
	c.rd.init(c.ctx)
	co := opts.Client
	co.InboundPolicy = client.InboundWait
	co.ReconnectOnNormalClosure = co.ReconnectOnNormalClosure || !opts.StopOnNormalClosure
	userConnect, userState := co.OnConnect, co.OnStateChange
	co.OnConnect = func(ctx context.Context, conn *transport.Conn) error {
		if userConnect != nil {
			if err := userConnect(ctx, conn); err != nil {
				return err
			}
		}
		return c.onConnect(ctx, conn)
	}
	co.OnStateChange = func(ch client.StateChange) {
		if ch.From == client.Connected {
			c.onDisconnect()
		}
		if userState != nil {
			userState(ch)
		}
	}
	cl, err := client.Start(c.ctx, co)
	if err != nil {
		c.cancel()
		return nil, err
	}
	c.cl = cl
	go c.read()
	return c, nil
}

// WaitConnected waits until the session is connected (its subscriptions
// renewed), or until it ends or ctx is done, as client.Client's does.
func (c *Client) WaitConnected(ctx context.Context) error { return c.cl.WaitConnected(ctx) }

// State returns the session's state.
func (c *Client) State() client.State { return c.cl.State() }

// Close ends the session: calls waiting for an answer return ErrClosed,
// subscriptions end with ErrClosed (Next returns the events already
// buffered first), and Close returns once every goroutine of the session
// is gone. It must not be called from OnNotification. Idempotent.
func (c *Client) Close() error {
	c.cancel()
	err := c.cl.Close()
	<-c.rd.done
	c.wg.Wait()
	if errors.Is(err, client.ErrUndelivered) {
		err = nil // the queue beneath is not used
	}
	return err
}

// waitConn returns the live connection and its number, waiting for one
// while disconnected; ctx.Err() once ctx is done, even with one live.
func (c *Client) waitConn(ctx context.Context) (*transport.Conn, uint64, error) {
	for {
		c.mu.Lock()
		if c.endErr != nil {
			err := c.endErr
			c.mu.Unlock()
			return nil, 0, err
		}
		conn, gen, ready := c.conn, c.gen, c.connReady
		c.mu.Unlock()
		if err := ctx.Err(); err != nil {
			return nil, 0, err // done already: nothing is sent
		}
		if conn != nil && !isDone(conn) {
			return conn, gen, nil
		}
		select {
		case <-ready:
		case <-ctx.Done():
			return nil, 0, ctx.Err()
		case <-c.rd.done:
		}
	}
}

func isDone(conn *transport.Conn) bool {
	select {
	case <-conn.Done():
		return true
	default:
		return false
	}
}

// sessionErr maps the session's end to this package's errors: a Close is
// ErrClosed; a failure keeps the client's error, which says why.
func sessionErr(err error) error {
	if err == nil || errors.Is(err, client.ErrClosed) || errors.Is(err, context.Canceled) {
		return ErrClosed
	}
	return err
}
