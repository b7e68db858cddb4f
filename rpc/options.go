package rpc

import (
	"context"
	"encoding/json"

	"github.com/sturdyws/sturdy/client"
)

// Options configure a Client. The zero value of every field is usable;
// Client.URL or Client.Endpoint must be set.
type Options struct {
	// Client configures the session beneath: URL, reconnect policy,
	// heartbeat, dial options, logger. Its OnConnect runs first on every
	// connection (authenticate there), before the subscriptions are
	// renewed; its OnStateChange is still told of every change. Delivery,
	// Queue and the acknowledgement fields do not matter: requests are
	// written straight to the live connection, not queued, so that each
	// call knows which connection it went out on. Its InboundPolicy is
	// always client.InboundWait: rpc's reader takes every message at
	// once, and an answer to a call must never be discarded; events that
	// a slow subscriber cannot take meet the subscription's own Overflow
	// policy instead.
	Client client.Options

	// Dialect says how subscriptions look on the wire. nil means Eth.
	Dialect Dialect

	// Idempotent says which methods are safe to run twice. A call to one
	// of them whose connection ends before the answer is sent again on the
	// next connection, with a new id; a call to any other fails with
	// ErrConnectionLost, since it may have run. nil means none.
	Idempotent func(method string) bool

	// StopOnNormalClosure ends the session (Failed) when the server closes
	// with 1000, as client.Options would by default. By default the rpc
	// Client reconnects instead (it sets Client.ReconnectOnNormalClosure):
	// JSON-RPC servers such as go-ethereum close with 1000 when they shut
	// down for a restart, which is exactly what subscriptions must survive.
	StopOnNormalClosure bool

	// OnNotification receives the server's notifications that are not
	// events of a subscription, with their method and raw params. It runs
	// on the reading goroutine, in order, so it must be quick and must not
	// call Close; params is the program's to keep. nil drops them.
	OnNotification func(method string, params json.RawMessage)
}

// Overflow says what a subscription does with an event that arrives when
// its buffer is full.
type Overflow int

const (
	// OverflowDrop discards the event and reports the gap where it was:
	// Next returns a *DroppedError there, then carries on. The connection
	// and every other subscription and call go on at full speed.
	OverflowDrop Overflow = iota
	// OverflowBlock waits for the program to take events: nothing is
	// dropped, but reading from the connection stops meanwhile, so calls
	// and other subscriptions wait too (and the server sees back
	// pressure). While the subscription's OnResubscribe hook runs the
	// reader cannot wait, since the hook's own calls need it: an event
	// past the buffer then ends the subscription with ErrOverflow.
	OverflowBlock
)

// DefaultBuffer is the events a subscription holds for the program when
// SubscribeOptions.Buffer is zero.
const DefaultBuffer = 1024

// SubscribeOptions configure one subscription. The zero value is usable.
type SubscribeOptions struct {
	// Buffer bounds the events waiting for Next. Default DefaultBuffer.
	Buffer int

	// Overflow is what happens when the buffer is full. Default
	// OverflowDrop.
	Overflow Overflow

	// OnResubscribe runs when the subscription was renewed on a new
	// connection, inside Next, on the program's goroutine, after every
	// event of the old subscription and before any event of the new one:
	// events that arrive meanwhile wait behind it. That is the place to
	// backfill what was missed while disconnected, by Calls on the same
	// Client, from the last event the program saw. ctx is Next's: if it
	// ends while the hook runs, the hook is not run again for that
	// renewal; a program that tracks its last event still sees the gap at
	// the next event, and can backfill there. A Next whose ctx is done
	// already when it reaches a renewal returns ctx's error and leaves the
	// renewal, hook unrun, to the next Next.
	// Renewals that Next has not reached yet fold into one run.
	OnResubscribe func(ctx context.Context, r Resubscribed)
}

// Resubscribed tells OnResubscribe where the gap may be.
type Resubscribed struct {
	// Renewal counts the subscription's renewals: 1 the first time.
	Renewal int
	// ID is the subscription's id on the new connection and PreviousID
	// the one it had, as raw JSON.
	ID, PreviousID json.RawMessage
}
