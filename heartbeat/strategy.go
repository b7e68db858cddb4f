package heartbeat

import (
	"bytes"
	"encoding/json"
)

// Strategy chooses what a heartbeat is on the wire.
//
// The zero value uses WebSocket control frames: each ping carries an 8-byte
// big-endian counter, which RFC 6455 obliges the peer to echo in its pong, so
// a pong is matched to its ping exactly and stale or unsolicited pongs are
// ignored.
//
// A Strategy with IsReply set is application-level, for servers that ignore
// control frames or want their own heartbeat: the monitor sends Message as a
// data message through [MessageSender] and recognises the reply with
// IsReply. Such payloads carry no ping number, so a reply is matched to the
// outstanding ping by order. Only AnyFrame mode ever gives up on a ping
// without declaring the peer dead; when it does, the next reply might belong to
// the abandoned ping, so that reply proves liveness but is not used as a
// round-trip sample (Karn's rule).
type Strategy struct {
	// Message is the heartbeat sent to the peer, as a text message unless
	// Binary is set. It is copied for each send, so the sender may keep or
	// modify the copy.
	Message []byte
	// Binary sends Message as a binary message instead of text.
	Binary bool
	// IsReply reports whether an inbound data message is the peer's
	// heartbeat reply. It runs on the goroutine that calls
	// [Monitor.MessageReceived], for every inbound message, so it should be
	// cheap; it must not keep payload.
	IsReply func(payload []byte) bool
}

// appLevel reports whether heartbeats are data messages rather than control
// frames.
func (s Strategy) appLevel() bool { return s.IsReply != nil }

// Text returns an application-level strategy that sends the text message
// ping and recognises a text message exactly equal to pong, as in
// Text("ping", "pong").
func Text(ping, pong string) Strategy {
	want := []byte(pong)
	return Strategy{
		Message: []byte(ping),
		IsReply: func(payload []byte) bool { return bytes.Equal(payload, want) },
	}
}

// JSON returns an application-level strategy that sends the object
// {key: ping} and recognises any JSON object whose member key is the string
// pong; other members are allowed. JSON("op", "ping", "pong") sends
// {"op":"ping"} and accepts {"op":"pong"} or {"op": "pong", "ts": 17}.
//
// Inbound messages that do not contain pong spelled literally as a JSON
// string are rejected without being parsed, which keeps the cost on ordinary
// traffic to a substring search; a reply spelling it with \u escapes is
// therefore not recognised.
func JSON(key, ping, pong string) Strategy {
	want := []byte(jsonString(pong))
	return Strategy{
		Message: []byte("{" + jsonString(key) + ":" + jsonString(ping) + "}"),
		IsReply: func(payload []byte) bool {
			if !bytes.Contains(payload, want) {
				return false
			}
			var obj map[string]json.RawMessage
			if json.Unmarshal(payload, &obj) != nil {
				return false
			}
			var got string
			return json.Unmarshal(obj[key], &got) == nil && got == pong
		},
	}
}

// jsonString encodes s as a JSON string without the HTML escaping of
// json.Marshal, so that the sent message and the searched-for bytes look like
// what servers actually write.
func jsonString(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // encoding a string cannot fail
	return string(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
}
