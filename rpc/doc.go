// Package rpc is JSON-RPC 2.0 over a sturdy client.Client: calls, batches,
// notifications, and subscriptions that keep flowing across reconnects.
//
// Start opens a session; Call, BatchCall and Notify talk to the server;
// Subscribe returns a Subscription whose events Next returns in order, on
// whatever connection they arrive.
//
// # Calls across reconnects
//
// Every request gets an id never used before in the session (1, 2, 3…,
// also across reconnects and resends), so an answer can only ever reach
// the call that asked. Requests are written straight to the live
// connection, so each call knows which connection it went out on. When
// that connection ends before the answer, the call fails with
// ErrConnectionLost, since it may or may not have run, unless its method
// is idempotent (Options.Idempotent): then it is sent again, with a new
// id, on the next connection. A call made while disconnected waits for the
// next connection; ctx bounds every wait. Server errors are *Error values
// with code, message and data.
//
// # Subscriptions across reconnects
//
// On every new connection, inside client.Options.OnConnect (before the
// session calls itself connected), the Client subscribes again with the
// subscription's method and params, and maps the server's new id to the
// same Subscription. In the subscription's stream, the renewal is a marker
// after every event of the old connection and before any of the new one:
// when Next reaches it, SubscribeOptions.OnResubscribe runs, on the
// program's goroutine, and may fetch by Call what was missed while
// disconnected; events of the new subscription wait behind it. Which
// events the server emitted in the gap only the program's protocol knows
// (block numbers, sequence numbers), so the backfill is the program's; the
// package guarantees where the hook runs.
//
// Each subscription has a bounded buffer (SubscribeOptions.Buffer). When
// the program falls behind, OverflowDrop (the default) discards and
// reports the gap in the stream as a *DroppedError, without slowing
// anything else; OverflowBlock stops reading the connection until the
// program catches up.
//
// # Dialects
//
// JSON-RPC 2.0 does not say how subscriptions look. Eth, the default, is
// the dialect of Ethereum nodes: "<ns>_subscribe", "<ns>_subscription"
// notifications with params {"subscription", "result"}, "<ns>_unsubscribe".
// Another plugs in through Dialect.
//
// # Cost
//
// One reader goroutine routes everything the server sends: it validates
// each message once (encoding/json.Valid, no allocation), walks the
// envelope's top level to find id, method, params, result and error
// without decoding them, and hands subscriptions spans of the message the
// client already copied. A notification costs no allocation between the
// socket's copy and the program's json.Unmarshal (BenchmarkRouteNotification).
//
// # Goroutines and callbacks
//
// Besides the client.Client's own, a Client runs one reader goroutine.
// OnNotification runs on it, in order; OnResubscribe runs inside Next. Close
// ends the session and returns once every goroutine is gone.
package rpc
