package client

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/sturdyws/sturdy/heartbeat"
	"github.com/sturdyws/sturdy/queue"
	"github.com/sturdyws/sturdy/transport"
)

// Client is a WebSocket session that survives network failure: it
// reconnects with backoff, detects dead peers with a heartbeat, and sends
// what the program queued with Send, in order, across reconnects.
//
// All methods are safe for concurrent use. Read is meant for one reader
// goroutine at a time, though several are safe (each message goes to one).
type Client struct {
	opts  Options
	q     queue.Queue
	disp  *dispatcher
	stats stats

	ctx    context.Context // the session; cancelled by Close or Start's ctx
	cancel context.CancelCauseFunc
	done   chan struct{} // closed when the supervisor has exited

	state   atomic.Int32
	healthy atomic.Bool // MarkHealthy was called on the current connection
	mon     atomic.Pointer[heartbeat.Monitor]
	confirm atomic.Pointer[confirmer] // AtMostOnce: the live connection's
	acked   chan struct{}             // AtLeastOnce: an ack may have opened the window
	inbox   *inbox
	deadLog deadLetterLog

	// Owned by the supervisor goroutine; nil without Options.Observer.
	ob *observed

	// gate is held for reading by the calls that use the queue on the
	// application's goroutines (SendMessage, Ack, AckThrough), and taken
	// once for writing by Close after the session has ended: a drop report
	// one of them delivers (the queue reports on whichever goroutine
	// unlocks it) then reaches the dispatcher before the dispatcher stops,
	// instead of arriving after Close has returned.
	gate       sync.RWMutex
	gateClosed bool // set under gate by Close: the queue is no longer used

	mu      sync.Mutex
	endErr  error         // why the session ended; set before done closes
	stateCh chan struct{} // closed and replaced on every state change
}

// Message is an outbound message for SendMessage.
type Message struct {
	Type    transport.MessageType
	Payload []byte
	// MaxAge overrides Options.MaxAge for this message; zero keeps it.
	MaxAge time.Duration
	// Stamp, when set, is given the message's sequence number and the
	// queue's copy of the payload as the message is queued, before it can
	// be written or acknowledged, to write the number into the payload in
	// place (the length cannot change): the way for a program with
	// concurrent senders to put the number its server acknowledges into
	// the message. It runs on the goroutine calling SendMessage with the
	// queue locked, so it must be quick and must not call the Client; a
	// text payload must stay valid UTF-8 (digits over a placeholder do).
	// A panic in it is raised again from SendMessage, with the message
	// queued as far as Stamp got.
	Stamp func(seq uint64, payload []byte)
}

// Inbound is a received message.
type Inbound struct {
	Type    transport.MessageType
	Payload []byte
	// Conn is the ordinal of the connection it arrived on (1 for the
	// session's first), so an application can tell where a reconnect fell
	// in its stream and look for a gap.
	Conn uint64
}

// Start validates opts and starts the session in the background; it does
// not wait for the first connection (see WaitConnected). Cancelling ctx
// ends the session like Close.
func Start(ctx context.Context, opts Options) (*Client, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	c := &Client{
		opts:    o,
		done:    make(chan struct{}),
		inbox:   newInbox(o.InboundBuffer, o.InboundMaxBytes, o.InboundPolicy),
		stateCh: make(chan struct{}),
		acked:   make(chan struct{}, 1),
	}
	c.disp = newDispatcher()
	c.q = o.Queue
	if c.q == nil {
		qo := o.QueueOptions
		qo.OnDrop = c.queueDropped
		c.q = queue.NewMemory(qo)
	} else if h, ok := c.q.(dropHooker); ok {
		// A queue built elsewhere (a queue.File, say) still reports its
		// overflow and expiry here, after its own OnDrop.
		h.AddOnDrop(c.queueDropped)
	}
	if o.Observer != nil {
		c.ob = new(observed)
	}
	c.ctx, c.cancel = context.WithCancelCause(ctx)
	c.observeStarted()
	go c.supervise()
	return c, nil
}

// Send queues payload as a message of type typ and returns its sequence
// number, the order in which it will reach the server. It returns as soon
// as the message is queued, connected or not; when the queue is full it
// follows the queue's overflow policy (ctx bounds a Block wait). payload is
// copied. A text payload must be valid UTF-8.
func (c *Client) Send(ctx context.Context, typ transport.MessageType, payload []byte) (uint64, error) {
	return c.SendMessage(ctx, Message{Type: typ, Payload: payload})
}

// SendMessage is Send with per-message options.
func (c *Client) SendMessage(ctx context.Context, m Message) (uint64, error) {
	if err := c.ended(); err != nil {
		return 0, err
	}
	if m.Type != transport.MessageText && m.Type != transport.MessageBinary {
		return 0, errors.New("client: message type must be text or binary")
	}
	if m.Type == transport.MessageText && !utf8.Valid(m.Payload) {
		return 0, transport.ErrInvalidUTF8
	}
	maxAge := m.MaxAge
	if maxAge == 0 {
		maxAge = c.opts.MaxAge
	}
	c.gate.RLock()
	if c.gateClosed {
		c.gate.RUnlock()
		return 0, c.ended()
	}
	msg := queue.Message{Type: queue.MessageType(m.Type), Payload: m.Payload, MaxAge: maxAge}
	var seq uint64
	var err error
	var stampPanic any
	if m.Stamp == nil {
		seq, err = c.q.Push(ctx, msg)
	} else {
		seq, stampPanic, err = c.pushStamped(ctx, msg, m.Stamp)
	}
	c.gate.RUnlock()
	if stampPanic != nil {
		if err == nil {
			c.stats.queued.Add(1) // queued all the same, and will be sent
		}
		panic(stampPanic)
	}
	if err != nil {
		if errors.Is(err, queue.ErrClosed) {
			if e := c.ended(); e != nil {
				return 0, e
			}
		}
		return 0, err
	}
	c.stats.queued.Add(1)
	return seq, nil
}

// pushStamped pushes msg with stamp, which the queue calls with its lock
// held: a panic in it must not escape there and leave the queue locked
// for good, so it is caught and returned, for the caller to raise again
// once it has let go of its own lock. Apart from SendMessage so that the
// variable the recovering closure shares is made only for a message that
// has a Stamp: one without pays no allocation for it.
func (c *Client) pushStamped(ctx context.Context, msg queue.Message, stamp func(uint64, []byte)) (seq uint64, stampPanic any, err error) {
	msg.Stamp = func(seq uint64, p []byte) {
		defer func() { stampPanic = recover() }()
		stamp(seq, p)
	}
	seq, err = c.q.Push(ctx, msg)
	return seq, stampPanic, err
}

// Read returns the next received message, waiting across reconnects.
// After the session ends it returns what was already received, then the
// session's end error (matching ErrClosed or ErrFailed). The payload is
// the program's (see Release).
func (c *Client) Read(ctx context.Context) (Inbound, error) {
	var one [1]Inbound
	if c.readDirect(one[:], true) == 1 {
		c.stats.received.Add(1)
		return one[0], nil
	}
	return c.readInbox(ctx)
}

// ReadInto is Read for a program that hands its last payload back with
// each call instead of calling Release. dst becomes the Client's, as a
// released payload does: the program must not touch it (nor anything
// sliced from it) after the call. The payload returned is the
// program's; it is dst itself, with the message copied in, when the next
// message is already whole in the connection's buffer (copied from there
// on the calling goroutine, the one copy any read makes), and otherwise
// another buffer the Client read it into. A program that passes each
// payload back as the next dst receives without allocating. On error the
// payload is nil.
func (c *Client) ReadInto(ctx context.Context, dst []byte) (Inbound, error) {
	one := [1]Inbound{{Payload: dst[:0]}}
	if c.readDirect(one[:], false) == 1 {
		c.stats.received.Add(1)
		return one[0], nil
	}
	// dst (or what became of it) is pooled before the wait, not after:
	// the reader may need a buffer for the very message this call waits
	// for, and would otherwise copy it into a new one.
	c.inbox.pool.put(one[0].Payload)
	return c.readInbox(ctx)
}

// readManyBytes bounds the payload bytes ReadMany takes from the inbox in
// one call beyond its first message. The buffers it hands the program
// come back to the reader only with the next call: a batch of large
// messages held by the program would leave the reader without a spare,
// and copying what it reads into new buffers (measured at 1 MiB: 0.81×
// the Conn with batches, 0.88× without). Messages taken straight off the
// connection are copied into the program's buffers and need no bound.
const readManyBytes = 256 << 10

// ReadMany is ReadInto for many messages at once, the cheapest way to
// read a hot feed: it waits for the next message, as Read does, then
// fills ms with it and as many of the following ones as are already
// received (of those the reader handed over, about 256 KiB at most),
// oldest first, and returns how many (at least one, unless it
// fails). The payloads in ms on entry become the Client's, as ReadInto's
// dst does (each must be a buffer the program no longer uses, none
// shared with another); the payloads of ms[:n] on return are the
// program's, and so are those from ms[n] on, which may be the ones it
// passed or others. Passing the same ms back each time receives without
// allocating.
func (c *Client) ReadMany(ctx context.Context, ms []Inbound) (int, error) {
	if len(ms) == 0 {
		return 0, nil
	}
	for i := range ms {
		ms[i].Payload = ms[i].Payload[:0]
	}
	if n := c.readDirect(ms, false); n > 0 {
		c.stats.received.Add(uint64(n))
		return n, nil
	}
	// As in ReadInto: the buffer the first message replaces is pooled
	// before the wait for it.
	c.inbox.pool.put(ms[0].Payload)
	ms[0].Payload = nil
	m, err := c.readInbox(ctx)
	if err != nil {
		return 0, err
	}
	ms[0] = m
	n := 1 + c.inbox.popMore(ms[1:], readManyBytes-len(m.Payload))
	c.stats.received.Add(uint64(n - 1))
	return n, nil
}

// readInbox waits for the next message the reader handed over.
func (c *Client) readInbox(ctx context.Context) (Inbound, error) {
	m, ok, err := c.inbox.next(ctx, c.done)
	switch {
	case err != nil:
		return Inbound{}, err
	case !ok:
		return Inbound{}, c.ended()
	}
	// Counted here, so Stats().Received is exact the moment Read returns.
	c.stats.received.Add(1)
	return m, nil
}

// Ack acknowledges the message with sequence number seq (AtLeastOnce): it
// leaves the queue and will not be replayed. An ack for a message not yet
// written is legal: the message leaves the queue unsent. With AtMostOnce
// only a message already written can be acknowledged; others are left
// alone.
func (c *Client) Ack(seq uint64) error {
	c.gate.RLock()
	defer c.gate.RUnlock()
	if c.gateClosed {
		return queue.ErrClosed
	}
	if c.opts.Delivery == AtMostOnce {
		// As for AckThrough: only what was written can be acknowledged.
		if cf := c.confirm.Load(); cf == nil || seq > cf.sent.Load() {
			return nil
		}
	}
	err := c.q.Ack(seq)
	c.ackArrived()
	return err
}

// AckThrough acknowledges every message up to and including seq.
func (c *Client) AckThrough(seq uint64) error {
	c.gate.RLock()
	defer c.gate.RUnlock()
	if c.gateClosed {
		return queue.ErrClosed
	}
	return c.ackReceived(seq)
}

// MarkHealthy tells the Client that the current connection is good (for
// example, the server accepted a subscription), so the backoff is reset
// when it ends without waiting for Options.StablePeriod. OnConnect reaches
// it through FromContext.
func (c *Client) MarkHealthy() { c.healthy.Store(true) }

// State returns the current state.
func (c *Client) State() State { return State(c.state.Load()) }

// WaitConnected waits until the session is Connected, and returns nil, or
// until it ends (returning its end error) or ctx is done.
func (c *Client) WaitConnected(ctx context.Context) error {
	for {
		c.mu.Lock()
		ch := c.stateCh
		c.mu.Unlock()
		switch s := c.State(); {
		case s == Connected:
			return nil
		case s.Final():
			return c.ended()
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// dropHooker is a queue that lets a second party hear its drop reports,
// as queue.Memory and queue.File do.
type dropHooker interface {
	AddOnDrop(func(queue.Entry, queue.DropReason))
}
