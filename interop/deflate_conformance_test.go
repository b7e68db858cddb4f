package interop

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/sturdyws/sturdy/transport"
)

// TestConformanceDeflate runs the permessage-deflate rows (Autobahn 12.*
// and 13.*, and RFC 7692's failures) against sturdy's client, with the
// same hostile server and checks as TestConformance.
func TestConformanceDeflate(t *testing.T) {
	groups := []struct {
		name string
		rows []row
	}{
		{"payloads", deflatePayloadRows()},
		{"params", deflateParamRows()},
		{"violations", deflateViolationRows()},
	}
	var c tally
	t.Run("rows", func(t *testing.T) {
		for _, g := range groups {
			t.Run(g.name, func(t *testing.T) {
				for _, r := range g.rows {
					t.Run(r.id, func(t *testing.T) {
						c.track(t)
						t.Parallel()
						runRow(t, r)
					})
				}
			})
		}
	})
	c.report(t, "conformance permessage-deflate")
}

// pmdSet is one negotiated parameter set: what the client offers, what
// the server answers, what the client must report, and how the harness
// compresses and decodes under it.
type pmdSet struct {
	id, name string
	offer    transport.CompressionOptions
	response string // Sec-WebSocket-Extensions of the 101
	want     transport.DeflateParams
}

// offerHas lists the parameters the client's offer must carry.
func (s pmdSet) offerHas() []string {
	out := []string{"permessage-deflate"}
	if s.offer.ClientNoContextTakeover {
		out = append(out, "client_no_context_takeover")
	}
	if s.offer.ServerNoContextTakeover {
		out = append(out, "server_no_context_takeover")
	}
	if s.offer.ClientMaxWindowBits != 0 {
		out = append(out, fmt.Sprintf("client_max_window_bits=%d", s.offer.ClientMaxWindowBits))
	}
	if s.offer.ServerMaxWindowBits != 0 {
		out = append(out, fmt.Sprintf("server_max_window_bits=%d", s.offer.ServerMaxWindowBits))
	}
	return out
}

// pmdSets are Autobahn 13.1–13.7's parameter sets, seen from the client
// (the harness is the server), plus the two leniencies RFC 7692 grants the
// client: an unasked server_no_context_takeover (errata 4982) and a
// response that drops an offered client_no_context_takeover, and the
// promise an offered client_max_window_bits keeps when the response drops
// it.
func pmdSets() []pmdSet {
	full := transport.DeflateParams{ClientMaxWindowBits: 15, ServerMaxWindowBits: 15}
	with := func(f func(*transport.DeflateParams)) transport.DeflateParams {
		p := full
		f(&p)
		return p
	}
	return []pmdSet{
		{id: "13.1", name: "default (context takeover both ways)",
			response: "permessage-deflate", want: full},
		{id: "13.2", name: "client_no_context_takeover",
			offer:    transport.CompressionOptions{ClientNoContextTakeover: true},
			response: "permessage-deflate; client_no_context_takeover",
			want:     with(func(p *transport.DeflateParams) { p.ClientNoContextTakeover = true })},
		{id: "13.3", name: "server_no_context_takeover",
			offer:    transport.CompressionOptions{ServerNoContextTakeover: true},
			response: "permessage-deflate; server_no_context_takeover",
			want:     with(func(p *transport.DeflateParams) { p.ServerNoContextTakeover = true })},
		{id: "13.4", name: "server_max_window_bits=8",
			offer:    transport.CompressionOptions{ServerMaxWindowBits: 8},
			response: "permessage-deflate; server_max_window_bits=8",
			want:     with(func(p *transport.DeflateParams) { p.ServerMaxWindowBits = 8 })},
		{id: "13.5", name: "server_no_context_takeover, server_max_window_bits=9",
			offer:    transport.CompressionOptions{ServerNoContextTakeover: true, ServerMaxWindowBits: 9},
			response: "permessage-deflate; server_no_context_takeover; server_max_window_bits=9",
			want: with(func(p *transport.DeflateParams) {
				p.ServerNoContextTakeover, p.ServerMaxWindowBits = true, 9
			})},
		{id: "13.6", name: "both no_context_takeover, server_max_window_bits=15",
			offer:    transport.CompressionOptions{ClientNoContextTakeover: true, ServerNoContextTakeover: true, ServerMaxWindowBits: 15},
			response: "permessage-deflate; client_no_context_takeover; server_no_context_takeover; server_max_window_bits=15",
			want: with(func(p *transport.DeflateParams) {
				p.ClientNoContextTakeover, p.ServerNoContextTakeover = true, true
			})},
		{id: "13.7", name: "client_max_window_bits=9, server_max_window_bits=8",
			offer:    transport.CompressionOptions{ClientMaxWindowBits: 9, ServerMaxWindowBits: 8},
			response: "permessage-deflate; client_max_window_bits=9; server_max_window_bits=8",
			want: with(func(p *transport.DeflateParams) {
				p.ClientMaxWindowBits, p.ServerMaxWindowBits = 9, 8
			})},
		{id: "13.8", name: "server_no_context_takeover not asked for (errata 4982)",
			response: "permessage-deflate; server_no_context_takeover",
			want:     with(func(p *transport.DeflateParams) { p.ServerNoContextTakeover = true })},
		{id: "13.9", name: "offered client_no_context_takeover left out of the response",
			offer:    transport.CompressionOptions{ClientNoContextTakeover: true},
			response: "permessage-deflate",
			want:     with(func(p *transport.DeflateParams) { p.ClientNoContextTakeover = true })},
		{id: "13.10", name: "offered client_max_window_bits=10 left out of the response (§7.1.2.2)",
			offer:    transport.CompressionOptions{ClientMaxWindowBits: 10},
			response: "permessage-deflate",
			want:     with(func(p *transport.DeflateParams) { p.ClientMaxWindowBits = 10 })},
	}
}

// deflateHandshake checks the client's offer and answers with set's
// response.
func deflateHandshake(set pmdSet) func(p *peer) error {
	return func(p *peer) error {
		got := strings.Join(p.req.Header.Values("Sec-WebSocket-Extensions"), ", ")
		norm := strings.ReplaceAll(got, " ", "")
		parts := strings.Split(norm, ";")
		for _, w := range set.offerHas() {
			found := false
			for _, part := range parts {
				if part == w {
					found = true
				}
			}
			if !found {
				return fmt.Errorf("client's offer %q lacks %s", got, w)
			}
		}
		if len(parts) != len(set.offerHas()) || strings.Contains(norm, ",") {
			return fmt.Errorf("client's offer %q, want exactly %v", got, set.offerHas())
		}
		return p.switching("Sec-WebSocket-Extensions: " + set.response)
	}
}

// deflateClient checks that the client reports set's parameters, then
// echoes.
func deflateClient(set pmdSet) func(ctx context.Context, c *transport.Conn) error {
	return func(ctx context.Context, c *transport.Conn) error {
		got, ok := c.Compression()
		if !ok || got != set.want {
			return fmt.Errorf("Compression() = %+v, %v; want %+v, true", got, ok, set.want)
		}
		return echoLoop(ctx, c)
	}
}

// writerClient is deflateClient echoing through Writer, in 4 KiB writes.
func writerClient(set pmdSet) func(ctx context.Context, c *transport.Conn) error {
	return func(ctx context.Context, c *transport.Conn) error {
		if got, ok := c.Compression(); !ok || got != set.want {
			return fmt.Errorf("Compression() = %+v, %v; want %+v, true", got, ok, set.want)
		}
		for {
			typ, p, err := c.Read(ctx)
			if err != nil {
				return err
			}
			if err := writeMaybeFragmented(ctx, c, typ, p, true); err != nil {
				return err
			}
		}
	}
}

// newSession is the harness's compression state for set.
func newSession(p *peer, set pmdSet) *deflateSession {
	w := set.want
	return &deflateSession{
		p:   p,
		out: newServerDeflater(w.ServerNoContextTakeover, w.ServerMaxWindowBits),
		// A client with a window below 15 bits compresses from a fresh
		// context (documented); decoding without its history checks it.
		in:         &clientInflater{noTakeover: w.ClientNoContextTakeover || w.ClientMaxWindowBits < 15},
		clientBits: w.ClientMaxWindowBits,
	}
}

// deflateRow builds a row under set whose script is s.
func deflateRow(id, desc string, set pmdSet, threshold int, script func(s *deflateSession) error) row {
	opts := set.offer
	opts.Threshold = threshold
	return row{id: id, desc: desc + " [" + set.name + "]",
		dial:      transport.DialOptions{Compression: &opts},
		handshake: deflateHandshake(set),
		client:    deflateClient(set),
		serve: func(p *peer) error {
			s := newSession(p, set)
			if err := script(s); err != nil {
				return err
			}
			return p.closeNormally()
		}, want: closed1000}
}

// echoSeries sends count messages of kind and size (message i generated
// with seq i), every third in three frames and the rest whole, and checks
// every echo; with mustCompress, the client must have compressed at least
// one of them.
func echoSeries(kind payloadKind, size, count int, mustCompress bool) func(s *deflateSession) error {
	return func(s *deflateSession) error {
		fits := s.clientBits == 15 || size <= 1<<s.clientBits
		for i := range count {
			pieces := 1
			if i%3 == 2 {
				pieces = 3
			}
			if _, err := s.echo(kind.op, kind.gen(size, i), pieces); err != nil {
				return fmt.Errorf("message %d: %w", i, err)
			}
		}
		if mustCompress && fits && s.compressedIn == 0 {
			return fmt.Errorf("the client sent none of %d echoes compressed (Threshold -1 compresses all that fit its window)", count)
		}
		return nil
	}
}

// seriesCount keeps the large messages' rows short under -race.
func seriesCount(size int) int {
	switch {
	case size <= 4*kib:
		return 24
	case size <= 32*kib:
		return 9
	}
	return 4
}

// deflatePayloadRows are Autobahn 12.*: permessage-deflate with the
// default parameters (context taken over both ways), payload kinds × sizes
// from 16 B to 128 KiB, messages that differ from one another a little,
// whole and fragmented. The client compresses everything (Threshold -1).
func deflatePayloadRows() []row {
	set := pmdSets()[0]
	var rows []row
	for k, kind := range []payloadKind{kindJSON, kindPattern, kindRandom, kindUTF8Mixed} {
		for i, n := range []int{16, 64, 256, 1 * kib, 4 * kib, 8 * kib, 16 * kib, 32 * kib, 64 * kib, 128 * kib} {
			rows = append(rows, deflateRow(fmt.Sprintf("12.%d.%d", k+1, i+1),
				fmt.Sprintf("%d %s messages of %d bytes, compressed both ways, are echoed", seriesCount(n), kind.name, n),
				set, -1, echoSeries(kind, n, seriesCount(n), true)))
		}
	}
	return rows
}

// deflateParamRows are Autobahn 13.*: each parameter set × a grid of
// payloads, plus a row per set proving that context takeover (or its
// absence) really happens.
func deflateParamRows() []row {
	var rows []row
	grid := []struct {
		kind payloadKind
		size int
	}{
		{kindJSON, 16}, {kindJSON, 256}, {kindJSON, 1 * kib}, {kindJSON, 64 * kib},
		{kindRandom, 256}, {kindRandom, 4 * kib}, {kindUTF8Mixed, 1 * kib}, {kindPattern, 16 * kib},
	}
	for _, set := range pmdSets() {
		for i, g := range grid {
			rows = append(rows, deflateRow(fmt.Sprintf("%s.%d", set.id, i+1),
				fmt.Sprintf("%s messages of %d bytes are echoed", g.kind.name, g.size),
				set, -1, echoSeries(g.kind, g.size, seriesCount(g.size), true)))
		}
		rows = append(rows, deflateRow(set.id+".context", "similar 1 KiB JSON messages: the client's echoes shrink only if it keeps its context",
			set, -1, contextScript(set)))
		w := deflateRow(set.id+".writer", "the client echoes 256 B to 64 KiB JSON through Writer in 4 KiB writes (compressed unless its window is limited)",
			set, 0, func(s *deflateSession) error {
				for i, n := range []int{256, 4 * kib, 10000, 64 * kib} {
					if _, err := s.echo(opText, jsonLike(n, i), 1); err != nil {
						return fmt.Errorf("%d bytes: %w", n, err)
					}
				}
				if s.clientBits == 15 && s.compressedIn == 0 {
					return errors.New("no echo written through Writer came compressed")
				}
				return nil
			})
		w.client = writerClient(set)
		rows = append(rows, w)
		rows = append(rows, deflateRow(set.id+".threshold", "with the default threshold a 16-byte message comes back uncompressed, a 1 KiB one compressed",
			set, 0, thresholdScript))
	}
	return rows
}

// similarJSON is a 1 KiB JSON-like message that differs from the others
// only in its sequence number: what a feed's updates look like.
func similarJSON(seq int) []byte {
	p := jsonLike(1*kib, 0)
	copy(p, fmt.Sprintf(`{"seq":%06d,`, seq))
	return p
}

// contextScript sends 16 similar JSON messages and compares the size of
// the client's compressed echoes with the same message compressed from a
// fresh context: a client that takes its context over must beat it by far
// (the messages share most of their bytes); one that resets must not (the
// decoder, given no history, would already have failed on a reference
// into one).
func contextScript(set pmdSet) func(s *deflateSession) error {
	takeover := !set.want.ClientNoContextTakeover && set.want.ClientMaxWindowBits == 15
	return func(s *deflateSession) error {
		var wire, fresh int
		for i := range 16 {
			p := similarJSON(i)
			m, err := s.echo(opText, p, 1)
			if err != nil {
				return fmt.Errorf("message %d: %w", i, err)
			}
			if i == 0 {
				continue // nothing to take over yet
			}
			if set.want.ClientMaxWindowBits < 15 && len(p) > 1<<set.want.ClientMaxWindowBits {
				if m.compressed {
					return fmt.Errorf("message %d: compressed past the client's window", i)
				}
				continue
			}
			if !m.compressed {
				return fmt.Errorf("message %d: echo not compressed", i)
			}
			wire += m.wire
			fresh += len(deflateOnce(p))
		}
		if fresh == 0 {
			return nil // every message was over a small window: nothing to compare
		}
		if takeover && wire*4 > fresh {
			return fmt.Errorf("with context takeover the echoes took %d bytes, a fresh context %d: the client does not use its history", wire, fresh)
		}
		if !takeover && wire*4 < fresh*3 {
			return fmt.Errorf("without context takeover the echoes took %d bytes, a fresh context %d: smaller than possible", wire, fresh)
		}
		return nil
	}
}

// thresholdScript checks DefaultCompressionThreshold's effect.
func thresholdScript(s *deflateSession) error {
	for _, c := range []struct {
		n    int
		want bool
	}{{16, false}, {transport.DefaultCompressionThreshold - 1, false}, {1 * kib, true}} {
		m, err := s.echo(opText, jsonLike(c.n, c.n), 1)
		if err != nil {
			return err
		}
		if fits := s.clientBits == 15 || c.n <= 1<<s.clientBits; m.compressed != (c.want && fits) {
			return fmt.Errorf("%d-byte echo compressed=%v, want %v", c.n, m.compressed, c.want && fits)
		}
	}
	return nil
}

// deflateViolationRows are what RFC 7692 §6 and RFC 6455 say a client
// must fail with permessage-deflate on (or asked of and refused).
func deflateViolationRows() []row {
	def := pmdSets()[0]
	neg := func(id, desc string, code uint16, dial transport.DialOptions, frames ...[]byte) row {
		if dial.Compression == nil {
			dial.Compression = &transport.CompressionOptions{}
		}
		return row{id: id, desc: desc, dial: dial, handshake: deflateHandshake(def),
			serve: failsWith(code, frames...), want: fails(transport.StatusCode(code))}
	}
	hello := deflateOnce([]byte("Hello, permessage-deflate! Hello, permessage-deflate!"))
	badUTF8 := deflateOnce(mustHex("cebae1bdb9cf83cebcceb5eda080656469746564"))
	zeros := deflateOnce(make([]byte, 8*mib))
	limit := transport.DialOptions{ReadLimit: 64 * kib}
	exact := jsonLike(64*kib, 1)
	rows := []row{
		neg("pmd-rsv1-continuation", "RSV1 on a continuation frame fails with 1002 (RFC 7692 §6.1)", 1002, transport.DialOptions{},
			frameSpec{rsv: 4, op: opText, payload: hello[:4]}.encode(),
			frameSpec{fin: true, rsv: 4, op: opCont, payload: hello[4:]}.encode()),
		neg("pmd-rsv1-ping", "RSV1 on a ping fails with 1002", 1002, transport.DialOptions{},
			frameSpec{fin: true, rsv: 4, op: opPing, payload: []byte("x")}.encode()),
		neg("pmd-rsv1-close", "RSV1 on a close fails with 1002", 1002, transport.DialOptions{},
			frameSpec{fin: true, rsv: 4, op: opClose, payload: closePayload(1000, "")}.encode()),
		neg("pmd-rsv2", "RSV2 with permessage-deflate negotiated fails with 1002", 1002, transport.DialOptions{},
			frameSpec{fin: true, rsv: 2, op: opText, payload: []byte("x")}.encode()),
		neg("pmd-rsv1-rsv3", "RSV1 and RSV3 together fail with 1002", 1002, transport.DialOptions{},
			frameSpec{fin: true, rsv: 5, op: opText, payload: hello}.encode()),
		neg("pmd-corrupt", "a compressed message with a reserved DEFLATE block type fails with 1007", 1007, transport.DialOptions{},
			rsvFrame(4, opBinary, []byte{0xff, 0xff, 0xff, 0xff})),
		neg("pmd-corrupt-fragmented", "corrupt DEFLATE data in the second fragment fails with 1007", 1007, transport.DialOptions{},
			frameSpec{rsv: 4, op: opBinary, payload: hello[:3]}.encode(),
			frameSpec{fin: true, op: opCont, payload: []byte{0xff, 0xff, 0xff, 0xff, 0xff}}.encode()),
		neg("pmd-truncated", "a compressed message that ends inside a DEFLATE block fails with 1007", 1007, transport.DialOptions{},
			rsvFrame(4, opText, deflateOnce(bytes.Repeat([]byte("abcdefgh"), 100))[:5])),
		neg("pmd-utf8", "invalid UTF-8 after inflation fails with 1007", 1007, transport.DialOptions{},
			rsvFrame(4, opText, badUTF8)),
		neg("pmd-utf8-fragmented", "invalid UTF-8 after inflating a 1-byte-fragmented message fails with 1007", 1007, transport.DialOptions{},
			rsvFragments(4, opText, badUTF8, 1)),
		neg("pmd-bomb", fmt.Sprintf("%d compressed bytes that inflate to 8 MiB fail with 1009 (ReadLimit 64 KiB)", len(zeros)), 1009, limit,
			rsvFrame(4, opBinary, zeros)),
		neg("pmd-bomb-fragmented", "a bomb in 1 KiB fragments fails with 1009 (ReadLimit 64 KiB)", 1009, limit,
			rsvFragments(4, opBinary, zeros, 1*kib)),
		neg("pmd-over-limit-by-one", "a message inflating to ReadLimit+1 fails with 1009", 1009, limit,
			rsvFrame(4, opText, deflateOnce(jsonLike(64*kib+1, 1)))),
		{id: "pmd-rsv1-unnegotiated", desc: "RSV1 when the server declined permessage-deflate fails with 1002",
			dial: transport.DialOptions{Compression: &transport.CompressionOptions{}},
			client: func(ctx context.Context, c *transport.Conn) error {
				if p, ok := c.Compression(); ok {
					return fmt.Errorf("Compression() = %+v, true with no extension in the response", p)
				}
				return echoLoop(ctx, c)
			},
			serve: failsWith(1002, rsvFrame(4, opText, hello)), want: fails(1002)},
		{id: "pmd-not-offered", desc: "a client that offered nothing refuses a 101 selecting permessage-deflate",
			handshake: func(p *peer) error {
				if v := p.req.Header.Values("Sec-WebSocket-Extensions"); len(v) != 0 {
					return fmt.Errorf("client offered %q with Compression nil", v)
				}
				return p.switching("Sec-WebSocket-Extensions: permessage-deflate")
			},
			want: refused101()},
		withLimit(64*kib, deflateRow("pmd-limit-exact", "a message inflating to exactly ReadLimit (64 KiB) is echoed", def, -1,
			func(s *deflateSession) error {
				_, err := s.echo(opText, exact, 1)
				return err
			})),
		deflateRow("pmd-uncompressed", "uncompressed messages (RSV1 clear) between compressed ones are echoed", def, -1,
			func(s *deflateSession) error {
				for i := range 6 {
					p := jsonLike(300, i)
					if i%2 == 1 {
						if err := s.p.send(frame(true, opText, p)); err != nil {
							return err
						}
						m, err := s.p.readDeflateMessage(s.in)
						if err != nil || !bytes.Equal(m.payload, p) {
							return fmt.Errorf("uncompressed message %d: echo %d bytes, %v", i, len(m.payload), err)
						}
						continue
					}
					if _, err := s.echo(opText, p, 1); err != nil {
						return err
					}
				}
				return nil
			}),
		deflateRow("pmd-empty", "an empty compressed message, whole and as an empty first fragment, is echoed", def, -1,
			func(s *deflateSession) error {
				for _, pieces := range []int{1, 3} {
					if _, err := s.echo(opBinary, nil, pieces); err != nil {
						return err
					}
				}
				return nil
			}),
	}
	return rows
}

// withLimit sets r's read limit.
func withLimit(n int64, r row) row {
	r.dial.ReadLimit = n
	return r
}
