package wstest

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"strconv"
	"sync"
	"time"

	"github.com/sturdyws/sturdy/transport"
)

// StreamOptions configures Stream. The zero value streams small JSON text
// messages as fast as the client reads them, without end.
type StreamOptions struct {
	// Rate is the number of messages per second on each connection.
	// Default (0): as fast as the connection takes them.
	Rate float64

	// Size is the payload size in bytes: messages are padded up to it
	// (text with a "pad" field, or spaces where the field does not fit),
	// but never cut below what the sequence number needs. Default (0): no
	// padding.
	Size int

	// Binary sends binary messages (an 8-byte big-endian seq, then zero
	// padding) instead of JSON text ({"seq":N} or {"seq":N,"pad":"…"}).
	// Default: false.
	Binary bool

	// Count is the number of messages each connection gets; after that the
	// connection stays open and quiet. Default (0): no limit.
	Count int
}

// Stream returns a Behavior that pushes numbered messages, which ParseSeq
// reads back. Sequence numbers start at 1 and increase by one per message
// across all the connections of this Behavior value, so a consumer that
// reconnects can prove ordering and detect gaps: use one Stream value per
// route.
//
// A number is used up only when its message was written to the socket; a
// message whose write fails is sent again, with the same number, on the
// next connection. So with one connection at a time a gap means bytes were
// lost in flight (e.g. by Reset), never that the server skipped one. With
// concurrent connections, each still sees increasing numbers, with gaps.
func Stream(o StreamOptions) Behavior {
	st := &stream{opts: o}
	return Behavior{Open: st.run}
}

// stream is the state one Stream value shares across its connections.
type stream struct {
	opts StreamOptions

	mu   sync.Mutex
	last uint64 // the highest number handed out
}

// take hands out the next number.
func (st *stream) take() uint64 {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.last++
	return st.last
}

// giveBack returns a number whose message was not sent. Only the highest
// can be reused: handing out a lower one would break the order another
// connection has already seen.
func (st *stream) giveBack(seq uint64) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if seq == st.last {
		st.last--
	}
}

func (st *stream) run(ctx context.Context, c *Conn) {
	typ := transport.MessageText
	if st.opts.Binary {
		typ = transport.MessageBinary
	}
	pace := newPacer(st.opts.Rate)
	defer pace.stop()
	buf := make([]byte, 0, max(st.opts.Size, 64))
	for i := 0; st.opts.Count <= 0 || i < st.opts.Count; i++ {
		if !pace.wait(ctx) {
			return
		}
		seq := st.take()
		buf = st.encode(buf[:0], seq)
		if err := c.Write(ctx, typ, buf); err != nil {
			st.giveBack(seq)
			return
		}
	}
}

// encode appends the payload for seq.
func (st *stream) encode(b []byte, seq uint64) []byte {
	size := st.opts.Size
	if st.opts.Binary {
		b = binary.BigEndian.AppendUint64(b, seq)
		for len(b) < size {
			b = append(b, 0)
		}
		return b
	}
	b = append(b, `{"seq":`...)
	b = strconv.AppendUint(b, seq, 10)
	const padField = `,"pad":""}`
	if pad := size - len(b) - len(padField); pad >= 0 {
		b = append(b, `,"pad":"`...)
		for range pad {
			b = append(b, 'x')
		}
		b = append(b, '"')
	}
	// Whitespace is valid JSON and makes up what a field could not.
	for len(b) < size-1 {
		b = append(b, ' ')
	}
	return append(b, '}')
}

// ParseSeq returns the sequence number of a Stream message: the "seq" field
// of a JSON object (a payload starting with '{'), or else the first 8 bytes
// read as a big-endian integer. It reports false for anything else.
func ParseSeq(payload []byte) (uint64, bool) {
	if len(payload) > 0 && payload[0] == '{' {
		if !json.Valid(payload) {
			return 0, false
		}
		if seq, ok := parseSeqPrefix(payload); ok {
			return seq, true
		}
		var v struct {
			Seq *uint64 `json:"seq"`
		}
		if err := json.Unmarshal(payload, &v); err != nil || v.Seq == nil {
			return 0, false
		}
		return *v.Seq, true
	}
	if len(payload) < 8 {
		return 0, false
	}
	return binary.BigEndian.Uint64(payload), true
}

// parseSeqPrefix reads the form Stream writes, {"seq":N followed by ',',
// ' ' or '}', from valid JSON without the cost of decoding it.
func parseSeqPrefix(p []byte) (uint64, bool) {
	const prefix = `{"seq":`
	if len(p) <= len(prefix) || string(p[:len(prefix)]) != prefix {
		return 0, false
	}
	p = p[len(prefix):]
	end := 0
	for end < len(p) && p[end] >= '0' && p[end] <= '9' {
		end++
	}
	if end == 0 || end == len(p) || (p[end] != ',' && p[end] != ' ' && p[end] != '}') {
		return 0, false
	}
	seq, err := strconv.ParseUint(string(p[:end]), 10, 64)
	return seq, err == nil
}

// pacer spaces messages at a fixed rate, the first one at once. It keeps a
// schedule rather than sleeping a period after each send, so the time spent
// writing does not lower the rate; after a long pause it restarts the
// schedule instead of bursting to catch up.
type pacer struct {
	period time.Duration
	next   time.Time
	timer  *time.Timer
}

func newPacer(rate float64) *pacer {
	p := &pacer{}
	if rate > 0 {
		p.period = time.Duration(float64(time.Second) / rate)
		p.next = time.Now()
	}
	return p
}

// wait blocks until the next message is due; it reports false when ctx
// ends first.
func (p *pacer) wait(ctx context.Context) bool {
	if p.period <= 0 {
		return ctx.Err() == nil
	}
	if d := time.Until(p.next); d > 0 {
		if p.timer == nil {
			p.timer = time.NewTimer(d)
		} else {
			p.timer.Reset(d)
		}
		select {
		case <-p.timer.C:
		case <-ctx.Done():
			return false
		}
	}
	p.next = p.next.Add(p.period)
	if now := time.Now(); p.next.Before(now.Add(-p.period)) {
		p.next = now
	}
	return ctx.Err() == nil
}

func (p *pacer) stop() {
	if p.timer != nil {
		p.timer.Stop()
	}
}
