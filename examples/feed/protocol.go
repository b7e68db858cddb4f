package main

import (
	"encoding/json"
	"strconv"
)

// The feed's wire protocol, all JSON text messages. The embedded exchange
// (server.go) speaks it; a server given with -url must speak it too.
//
//	client → server  {"op":"subscribe","channel":"prices"}   sent by OnConnect on every connection
//	server → client  {"subscribed":"prices"}                 before any price
//	server → client  {"seq":N}                               prices, N = 1, 2, 3… across connections
//	client → server  {"op":"order","id":N,"side":"buy","qty":1}
//	server → client  {"ack":N}                               order N (and all before it) received
const channel = "prices"

// request is a client-to-server message.
type request struct {
	Op      string `json:"op"`
	Channel string `json:"channel,omitempty"`
	ID      uint64 `json:"id,omitempty"`
	Side    string `json:"side,omitempty"`
	Qty     int    `json:"qty,omitempty"`
}

// subscribeMsg is what OnConnect writes on every new connection.
var subscribeMsg = mustJSON(request{Op: "subscribe", Channel: channel})

// confirmMsg is the exchange's answer to a subscription.
var confirmMsg = mustJSON(map[string]string{"subscribed": channel})

// orderMsg encodes order id.
func orderMsg(id uint64) []byte {
	side := "buy"
	if id%2 == 0 {
		side = "sell"
	}
	return mustJSON(request{Op: "order", ID: id, Side: side, Qty: 1})
}

// parseRequest decodes a client message; ok is false for anything else.
func parseRequest(p []byte) (r request, ok bool) {
	if err := json.Unmarshal(p, &r); err != nil || r.Op == "" {
		return request{}, false
	}
	return r, true
}

// ackMsg acknowledges order id.
func ackMsg(id uint64) []byte {
	return append(strconv.AppendUint([]byte(`{"ack":`), id, 10), '}')
}

// parseAck reads {"ack":N}. It runs on the client's reading goroutine for
// every inbound message, prices included, so it only compares a prefix and
// parses digits, allocating nothing.
func parseAck(p []byte) (uint64, bool) {
	const prefix = `{"ack":`
	if len(p) < len(prefix)+2 || string(p[:len(prefix)]) != prefix || p[len(p)-1] != '}' {
		return 0, false
	}
	digits := p[len(prefix) : len(p)-1]
	if len(digits) > 19 { // more than any uint64 we hand out
		return 0, false
	}
	var n uint64
	for _, d := range digits {
		if d < '0' || d > '9' {
			return 0, false
		}
		n = n*10 + uint64(d-'0')
	}
	return n, true
}

// isConfirm reports the exchange's subscription confirmation.
func isConfirm(p []byte) bool {
	var v struct {
		Subscribed string `json:"subscribed"`
	}
	return json.Unmarshal(p, &v) == nil && v.Subscribed == channel
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only ever called with the fixed types above
	}
	return b
}
