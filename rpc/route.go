package rpc

import (
	"encoding/json"
)

// route hands one received message to whatever waits for it. It runs on
// the reader goroutine only. payload belongs to this package (the
// client.Client copies every message it delivers), so the spans kept for
// calls and subscriptions alias it without another copy.
func (c *Client) route(payload []byte) {
	if !json.Valid(payload) {
		c.log.Warn("rpc: message is not valid JSON, dropped", "len", len(payload))
		return
	}
	if isArray(payload) {
		elements(payload, c.routeOne)
		return
	}
	c.routeOne(payload)
}

// routeOne routes one object: an answer to a call, or a notification.
func (c *Client) routeOne(obj []byte) {
	var e envelope
	if !e.parse(obj) {
		c.log.Warn("rpc: message is not a JSON-RPC object, dropped")
		return
	}
	if e.method != nil {
		c.notification(&e)
		return
	}
	id, ok := parseID(e.id)
	if !ok {
		// An error with a null id answers a request the server could
		// not parse: none of ours can be told from it.
		c.log.Warn("rpc: answer with an id this client never used, dropped", "id", string(e.id))
		return
	}
	var rerr error
	if !isNull(e.err) {
		rerr = decodeError(e.err)
	} else if e.result == nil {
		rerr = &badResponse{reason: "neither result nor error"}
	}
	c.mu.Lock()
	cl := c.pending[id]
	if cl == nil {
		c.mu.Unlock()
		return // its caller gave up, or its connection was retired
	}
	delete(c.pending, id)
	i := id - cl.first
	cl.results[i], cl.errs[i] = e.result, rerr
	var renewed *Subscription
	var marker Resubscribed
	if cl.sub != nil {
		renewed, marker = c.subscribed(cl, e.result, rerr)
	}
	if cl.remaining--; cl.remaining == 0 {
		close(cl.done)
	}
	c.mu.Unlock()
	if renewed != nil {
		renewed.pushRenewal(marker)
	}
}

// subscribed records the answer to a subscribe call: the subscription now
// has this id on this connection. For a renewal it returns the
// subscription, whose gap marker the caller queues (after unlocking) in
// the stream before any event of the new id. Called with mu held.
func (c *Client) subscribed(cl *call, result []byte, rerr error) (*Subscription, Resubscribed) {
	s := cl.sub
	if cl.renew {
		c.rd.renewing--
	}
	if rerr != nil {
		if cl.renew {
			// The server refused to renew it: nothing more will come.
			delete(c.active, s)
			s.end(rerr) // takes only the subscription's lock, after mu
		}
		return nil, Resubscribed{}
	}
	id, err := c.dialect.SubscriptionID(result)
	if err != nil {
		cl.errs[0] = err
		if cl.renew {
			delete(c.active, s)
			s.end(err)
		}
		return nil, Resubscribed{}
	}
	if s.isEnded() {
		// Unsubscribed while this was on its way: end it on the server.
		c.unsubscribeLater(s.method, id)
		return nil, Resubscribed{}
	}
	prev := s.id
	s.id = id
	c.subs[string(id)] = s
	c.active[s] = struct{}{}
	if !cl.renew {
		return nil, Resubscribed{}
	}
	s.renewals++
	return s, Resubscribed{Renewal: s.renewals, ID: id, PreviousID: prev}
}

// notification delivers an event to its subscription, or a notification
// to OnNotification.
func (c *Client) notification(e *envelope) {
	if !isNull(e.id) {
		c.log.Warn("rpc: request from the server, not supported, dropped")
		return
	}
	if id, payload, ok := c.dialect.Notification(e.method, e.params); ok {
		c.mu.Lock()
		s := c.subs[string(id)]
		c.mu.Unlock()
		if s != nil {
			s.push(payload)
		} else {
			c.log.Debug("rpc: event of a subscription this connection does not have, dropped", "id", string(id))
		}
		return
	}
	if f := c.opts.OnNotification; f != nil {
		var method string
		if json.Unmarshal(e.method, &method) == nil {
			f(method, e.params)
		}
	}
}

// decodeError decodes an error member, which the server may have got
// wrong.
func decodeError(raw []byte) error {
	e := new(Error)
	if err := json.Unmarshal(raw, e); err != nil {
		return &badResponse{reason: "error member is not an error object"}
	}
	return e
}
