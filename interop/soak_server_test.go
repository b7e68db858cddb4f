package interop

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// soakServer is the soak's receiving end, a gorilla/websocket server that
// logs every numbered message it receives, per connection, and (for
// at-least-once) answers each with "ack:N". It survives restarts: the log
// belongs to the test, the server instances come and go on one port.
type soakServer struct {
	ack bool
	// ackHighest makes the server ack-happy: every message, duplicates of
	// a replay included, is answered with the highest number seen so far,
	// sometimes twice, so acknowledgements arrive ahead of the replay the
	// client is writing.
	ackHighest bool
	mu         sync.Mutex
	highest    uint64
	log        []received
	// conns numbers the server's connections across restarts.
	conns int
	// maxAge is the oldest message seen, measured from the time stamp the
	// sender put in it.
	maxAge time.Duration
	// bad counts messages that were not soak messages, and badFirst
	// describes the first. The handlers run on the HTTP server's
	// goroutines; the test reads these after the run and fails there, in
	// one line, rather than once per message from a handler.
	bad      int
	badFirst string
}

// received is one message as the server saw it.
type received struct {
	conn int
	n    uint64
}

// start runs an instance of the server on addr.
func (s *soakServer) start(t *testing.T, addr string) *goPeer {
	up := &websocket.Upgrader{}
	return startGoPeer(t, addr, func(_ *peerEvents, _ bool, w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		s.mu.Lock()
		s.conns++
		id := s.conns
		s.mu.Unlock()
		for {
			typ, p, err := c.ReadMessage()
			if err != nil {
				return
			}
			n, sent, ok := parseSoakMessage(p)
			if !ok || typ != websocket.TextMessage {
				// The client sent bytes it was never given, or framed
				// them wrongly: a corruption the log must not skip over.
				s.mu.Lock()
				if s.bad++; s.bad == 1 {
					s.badFirst = fmt.Sprintf("connection %d, after %d messages: type %d, %q", id, len(s.log), typ, p)
				}
				s.mu.Unlock()
				continue
			}
			age := time.Since(sent)
			s.mu.Lock()
			s.log = append(s.log, received{conn: id, n: n})
			s.maxAge = max(s.maxAge, age)
			s.highest = max(s.highest, n)
			ack, acks := n, 1
			if s.ackHighest {
				ack = s.highest
				acks += int(n % 2)
			}
			s.mu.Unlock()
			for range acks {
				if s.ack && c.WriteMessage(websocket.TextMessage, []byte("ack:"+strconv.FormatUint(ack, 10))) != nil {
					return
				}
			}
		}
	})
}

// soakMessage is "N:UNIXNANO:PAD", the message number, when it was sent,
// and a padding whose length (0 to 1,999 bytes) and letters follow from N
// alone: messages of many sizes, so a payload that mixed the bytes of two
// messages, or lost some, fails to parse.
func soakMessage(n uint64, at time.Time) []byte {
	p := []byte(strconv.FormatUint(n, 10) + ":" + strconv.FormatInt(at.UnixNano(), 10) + ":")
	return appendSoakPad(p, n)
}

func appendSoakPad(p []byte, n uint64) []byte {
	for i := range n * 7919 % 2000 {
		p = append(p, 'a'+byte((n+i)%26))
	}
	return p
}

func parseSoakMessage(p []byte) (uint64, time.Time, bool) {
	a, rest, ok := strings.Cut(string(p), ":")
	if !ok {
		return 0, time.Time{}, false
	}
	b, pad, ok := strings.Cut(rest, ":")
	if !ok {
		return 0, time.Time{}, false
	}
	n, err1 := strconv.ParseUint(a, 10, 64)
	ns, err2 := strconv.ParseInt(b, 10, 64)
	if err1 != nil || err2 != nil || pad != string(appendSoakPad(nil, n)) {
		return 0, time.Time{}, false
	}
	return n, time.Unix(0, ns), true
}

// parseAck recognises the server's "ack:N".
func parseAck(p []byte) (uint64, bool) {
	s, ok := strings.CutPrefix(string(p), "ack:")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil
}

// snapshot returns a copy of the log and the counters.
func (s *soakServer) snapshot() ([]received, int, time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.log...), s.conns, s.maxAge
}

// badMessages reports the messages the server could not parse.
func (s *soakServer) badMessages() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.bad == 0 {
		return nil
	}
	return fmt.Errorf("the soak server read %d messages that are not soak messages, first on %s", s.bad, s.badFirst)
}
