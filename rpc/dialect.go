package rpc

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
)

// Dialect is how a server's subscriptions look on the wire: what answers a
// subscribe call, how an event names its subscription, and how to end one.
// JSON-RPC 2.0 itself does not say; Eth (the zero Options' choice) is the
// dialect of Ethereum nodes and of many exchange and chain APIs.
//
// An event whose subscription id the Client does not know (yet) is
// dropped: servers that send events before answering the subscribe call
// (go-ethereum does not) lose those first events.
//
// Notification runs on the reading goroutine for every notification the
// server sends and decides where it goes, so it must be quick and must not
// keep the slices it is given after it returns (the payload it returns may
// alias params and is then owned by the subscription).
type Dialect interface {
	// SubscriptionID returns the subscription's id from the result of the
	// subscribe call, as raw JSON text compared byte for byte with what
	// Notification returns.
	SubscriptionID(result []byte) ([]byte, error)
	// Notification recognises an event: from a notification's method (a
	// JSON string, quotes included) and raw params it returns the
	// subscription id (raw JSON text) and the event's payload, or false
	// when the notification is not a subscription event.
	Notification(method, params []byte) (id, payload []byte, ok bool)
	// Unsubscribe returns the method and params that end the subscription
	// with id (raw JSON text), made by a call to subscribeMethod.
	Unsubscribe(subscribeMethod string, id []byte) (method string, params any)
}

// Eth is the eth-style subscription dialect: "<ns>_subscribe" answers with
// the subscription id, events arrive as "<ns>_subscription" notifications
// whose params are {"subscription": id, "result": event}, and
// "<ns>_unsubscribe" with [id] ends one. go-ethereum's rpc package speaks it
// for every namespace.
type Eth struct{}

var errSubscriptionID = errors.New("rpc: the subscribe call's result is not a subscription id")

// SubscriptionID accepts a JSON string or number.
func (Eth) SubscriptionID(result []byte) ([]byte, error) {
	r := bytes.TrimSpace(result)
	if len(r) == 0 || !(r[0] == '"' || r[0] == '-' || (r[0] >= '0' && r[0] <= '9')) {
		return nil, errSubscriptionID
	}
	return r, nil
}

// Notification recognises "<ns>_subscription" notifications.
func (Eth) Notification(method, params []byte) (id, payload []byte, ok bool) {
	if !bytes.HasSuffix(method, []byte(`_subscription"`)) {
		return nil, nil, false
	}
	members(params, func(key, value []byte) {
		switch string(key) {
		case `"subscription"`:
			id = value
		case `"result"`:
			payload = value
		}
	})
	return id, payload, id != nil && payload != nil
}

// Unsubscribe calls "<ns>_unsubscribe" with [id].
func (Eth) Unsubscribe(subscribeMethod string, id []byte) (string, any) {
	ns, _, _ := strings.Cut(subscribeMethod, "_")
	return ns + "_unsubscribe", []json.RawMessage{id}
}
