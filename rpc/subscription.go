package rpc

import (
	"context"
	"encoding/json"
	"sync"
)

// Subscription is a stream of events that survives reconnects: on every
// new connection the Client subscribes again and maps the server's new id
// to the same Subscription. Next returns events in order; OnResubscribe
// runs at each renewal, before any event of the new subscription.
type Subscription struct {
	c      *Client
	method string // the subscribe method
	params []byte
	opts   SubscribeOptions
	max    int

	// Under Client.mu: the server's id on the current connection, and how
	// many times the subscription was renewed.
	id       []byte
	renewals int

	next sync.Mutex // one Next at a time, hook included

	mu          sync.Mutex
	items       []item // events and markers, oldest at head
	head        int
	events      int // events in items (markers are not counted)
	hookRunning bool
	err         error         // why it ended; nil while it runs
	ready       chan struct{} // one slot: an item or the end may have come
	room        chan struct{} // one slot: an event may have been taken
}

// item is an event, or a marker: events dropped at this point, a renewal,
// or both (drops first, then the renewal).
type item struct {
	event   json.RawMessage
	dropped int
	renewal *Resubscribed
}

func (it *item) isMarker() bool { return it.event == nil }

// Subscribe calls method with params (as Call does) to subscribe, and
// returns the Subscription once the server has answered with its id. The
// subscribe call is repeated on every new connection; if the connection
// ends before the first answer, it is sent again on the next one.
func (c *Client) Subscribe(ctx context.Context, method string, params any, opts SubscribeOptions) (*Subscription, error) {
	p, err := marshalParams(params)
	if err != nil {
		return nil, err
	}
	s := &Subscription{
		c: c, method: method, params: p, opts: opts,
		max:   opts.Buffer,
		ready: make(chan struct{}, 1),
		room:  make(chan struct{}, 1),
	}
	if s.max <= 0 {
		s.max = DefaultBuffer
	}
	cl := newCall([]request{{method: quoteMethod(method), params: p}})
	cl.sub = s
	// A subscription lives and dies with its connection, so subscribing
	// again after a lost answer cannot make two.
	if err := c.roundTrip(ctx, cl, true); err != nil {
		return nil, err
	}
	if cl.errs[0] != nil {
		return nil, cl.errs[0]
	}
	return s, nil
}

// Next returns the next event's raw JSON, which the program may keep,
// waiting until one arrives or ctx is done. Where OverflowDrop discarded
// events it returns a *DroppedError instead, once. At a renewal it first
// runs OnResubscribe. After the subscription ended (Unsubscribe, Close,
// the server refused to renew it) it returns the events still buffered,
// then the reason. Calls to Next are serialised.
func (s *Subscription) Next(ctx context.Context) (json.RawMessage, error) {
	s.next.Lock()
	defer s.next.Unlock()
	for {
		s.mu.Lock()
		if s.head < len(s.items) {
			it := &s.items[s.head]
			switch {
			case it.dropped > 0:
				n := it.dropped
				it.dropped = 0
				if it.renewal == nil {
					s.pop()
				}
				s.mu.Unlock()
				return nil, &DroppedError{Dropped: n}
			case it.renewal != nil && s.err != nil:
				s.pop() // ended: no backfill for a stream that is over
				s.mu.Unlock()
				continue
			case it.renewal != nil && s.opts.OnResubscribe != nil && ctx.Err() != nil:
				// Done already: the renewal waits for a Next whose hook
				// can backfill.
				s.mu.Unlock()
				return nil, ctx.Err()
			case it.renewal != nil:
				r := *it.renewal
				s.pop()
				s.hookRunning = s.opts.OnResubscribe != nil
				s.mu.Unlock()
				if f := s.opts.OnResubscribe; f != nil {
					s.runHook(ctx, f, r)
				}
				continue
			}
			ev := it.event
			s.pop()
			s.events--
			s.mu.Unlock()
			signal(s.room)
			return ev, nil
		}
		if s.err != nil {
			err := s.err
			s.mu.Unlock()
			return nil, err
		}
		s.mu.Unlock()
		select {
		case <-s.ready:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// runHook runs OnResubscribe. A panic in it leaves through Next, for the
// program to recover, with the hook marked as no longer running.
func (s *Subscription) runHook(ctx context.Context, f func(context.Context, Resubscribed), r Resubscribed) {
	defer func() {
		s.mu.Lock()
		s.hookRunning = false
		s.mu.Unlock()
	}()
	f(ctx, r)
}

// pop removes the head item. Called with mu held.
func (s *Subscription) pop() {
	s.items[s.head] = item{}
	s.head++
	if s.head == len(s.items) {
		s.items, s.head = s.items[:0], 0
	} else if s.head >= 64 && s.head*2 >= len(s.items) {
		n := copy(s.items, s.items[s.head:])
		clear(s.items[n:])
		s.items, s.head = s.items[:n], 0
	}
}

// push queues an event, following the overflow policy when the buffer is
// full. It runs on the reader goroutine.
func (s *Subscription) push(ev json.RawMessage) {
	s.mu.Lock()
	for s.events >= s.max && s.err == nil {
		if s.opts.Overflow == OverflowDrop {
			if t := s.tail(); t != nil && t.isMarker() {
				t.dropped++
			} else {
				s.items = append(s.items, item{dropped: 1})
			}
			s.mu.Unlock()
			signal(s.ready)
			return
		}
		if s.hookRunning {
			s.mu.Unlock()
			s.c.dropSubscription(s, ErrOverflow)
			return
		}
		s.mu.Unlock()
		select {
		case <-s.room:
		case <-s.c.ctx.Done():
			return
		}
		s.mu.Lock()
	}
	if s.err == nil {
		s.items = append(s.items, item{event: ev})
		s.events++
	}
	s.mu.Unlock()
	signal(s.ready)
}

// pushRenewal queues the gap marker of a renewal, folding it into a marker
// already at the tail: one hook run covers every renewal the program has
// not reached yet.
func (s *Subscription) pushRenewal(r Resubscribed) {
	s.mu.Lock()
	if t := s.tail(); t != nil && t.isMarker() {
		if t.renewal != nil {
			r.PreviousID = t.renewal.PreviousID
		}
		t.renewal = &r
	} else {
		s.items = append(s.items, item{renewal: &r})
	}
	s.mu.Unlock()
	signal(s.ready)
}

// tail returns the newest item, or nil. Called with mu held.
func (s *Subscription) tail() *item {
	if s.head == len(s.items) {
		return nil
	}
	return &s.items[len(s.items)-1]
}

// end ends the subscription with err, once; Next returns what is buffered,
// then err.
func (s *Subscription) end(err error) {
	s.mu.Lock()
	if s.err == nil {
		s.err = err
	}
	s.mu.Unlock()
	signal(s.ready)
	signal(s.room)
}

func (s *Subscription) isEnded() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err != nil
}

// Err returns why the subscription ended, or nil while it runs.
func (s *Subscription) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Unsubscribe ends the subscription: Next returns the events already
// buffered, then ErrUnsubscribed. It asks the server to end it too, on
// the live connection (the error of that call is returned; there is none
// to end while disconnected). With ctx already done it returns ctx.Err()
// and changes nothing.
func (s *Subscription) Unsubscribe(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err // done already: the subscription runs on
	}
	c := s.c
	c.mu.Lock()
	id := s.id
	live := c.conn != nil && !isDone(c.conn)
	_, active := c.active[s]
	delete(c.active, s)
	if id != nil && c.subs[string(id)] == s {
		delete(c.subs, string(id))
	}
	c.mu.Unlock()
	s.end(ErrUnsubscribed)
	if !active || !live {
		return nil
	}
	method, params := c.dialect.Unsubscribe(s.method, id)
	err := c.Call(ctx, method, params, nil)
	if err == ErrConnectionLost {
		return nil // the subscription died with its connection
	}
	return err
}

// dropSubscription ends s with err and, in the background, on the server.
func (c *Client) dropSubscription(s *Subscription, err error) {
	c.mu.Lock()
	delete(c.active, s)
	id := s.id
	if id != nil && c.subs[string(id)] == s {
		delete(c.subs, string(id))
		c.unsubscribeLater(s.method, id)
	}
	c.mu.Unlock()
	s.end(err)
}

// unsubscribeLater ends subscription id on the server without waiting, on
// a goroutine Close waits for. Called with mu held.
func (c *Client) unsubscribeLater(subscribeMethod string, id []byte) {
	if c.endErr != nil {
		return
	}
	method, params := c.dialect.Unsubscribe(subscribeMethod, id)
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		_ = c.Call(c.ctx, method, params, nil)
	}()
}

// signal leaves a token in a one-slot channel unless one is there.
func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}
