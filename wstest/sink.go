package wstest

import (
	"cmp"
	"context"
	"fmt"
	"slices"
)

// Sink returns a Behavior that only records what it receives (see
// Server.Received). When reply is not nil, it is called with each message
// and a non-nil result is sent back with the message's type, e.g. an
// application-level ack for at-least-once tests. reply runs on the
// connection's reading goroutine.
func Sink(reply func(m Message) []byte) Behavior {
	if reply == nil {
		return Behavior{}
	}
	return Behavior{Message: func(ctx context.Context, c *Conn, m Message) {
		if p := reply(m); p != nil {
			_ = c.Write(ctx, m.Type, p)
		}
	}}
}

// CheckDelivery checks got, the messages a server received (Received),
// against sent, the distinct payloads a client sent, in order, over any
// number of connections, as at-least-once delivery requires: nothing lost,
// nothing reordered, and duplicates only at reconnect boundaries. A
// connection may begin by replaying messages that earlier ones already
// delivered (in increasing order); after its first new message, every
// message must be the next one sent. It returns nil, or an error naming
// the first message out of place.
//
// got is judged connection by connection, in ordinal order, each in the
// order it was read: the server may still be reading what a client wrote to
// an old connection while the client's next connection is already
// delivering, so Received can interleave the two.
func CheckDelivery(sent [][]byte, got []Message) error {
	got = slices.Clone(got)
	slices.SortStableFunc(got, func(a, b Message) int { return cmp.Compare(a.Conn, b.Conn) })
	index := make(map[string]int, len(sent))
	for i, p := range sent {
		if _, dup := index[string(p)]; dup {
			return fmt.Errorf("wstest: sent payload %q twice; CheckDelivery needs distinct payloads", p)
		}
		index[string(p)] = i
	}
	next := 0           // index in sent of the next message never delivered
	conn, prev := 0, -1 // connection of the last message, and its index in sent
	replaying := false
	for _, m := range got {
		i, ok := index[string(m.Data)]
		if !ok {
			return fmt.Errorf("wstest: message %d on connection %d (%q) was never sent", m.Index, m.Conn, m.Data)
		}
		if m.Conn != conn {
			conn, prev, replaying = m.Conn, -1, true
		}
		switch {
		case i == next:
			next++
			replaying = false
		case i > next:
			return fmt.Errorf("wstest: message %q (sent #%d) arrived on connection %d before %q (sent #%d): lost or reordered",
				m.Data, i+1, m.Conn, sent[next], next+1)
		case !replaying:
			return fmt.Errorf("wstest: message %q (sent #%d) arrived again on connection %d after new messages: a duplicate not at a reconnect boundary",
				m.Data, i+1, m.Conn)
		case i <= prev:
			return fmt.Errorf("wstest: replay on connection %d went back from sent #%d to #%d", m.Conn, prev+1, i+1)
		}
		prev = i
	}
	if next < len(sent) {
		return fmt.Errorf("wstest: %d of %d messages never arrived, the first %q (sent #%d)", len(sent)-next, len(sent), sent[next], next+1)
	}
	return nil
}
