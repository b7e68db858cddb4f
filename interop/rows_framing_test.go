package interop

import (
	"context"
	"fmt"
	"strconv"

	"github.com/sturdyws/sturdy/transport"
)

// framingRows are Autobahn 1.* (text and binary messages of the sizes
// around each length encoding) and the RFC 6455 §5.1–5.2 rules a client
// must enforce on what a server sends.
func framingRows() []row {
	var rows []row
	sizes := []int{0, 125, 126, 127, 128, 65535, 65536}
	for i, n := range sizes {
		rows = append(rows,
			row{id: "1.1." + strconv.Itoa(i+1), desc: fmt.Sprintf("text message of %d bytes is echoed", n),
				serve: func(p *peer) error {
					pl := textPayload(n)
					return run(p.echo(opText, pl, frame(true, opText, pl)), p.closeNormally)
				}, want: closed1000},
			row{id: "1.2." + strconv.Itoa(i+1), desc: fmt.Sprintf("binary message of %d bytes is echoed", n),
				serve: func(p *peer) error {
					pl := binaryPayload(n)
					return run(p.echo(opBinary, pl, frame(true, opBinary, pl)), p.closeNormally)
				}, want: closed1000},
		)
	}
	rows = append(rows,
		row{id: "1.1.8", desc: "text message of 65536 bytes written in 997-byte chops is echoed",
			serve: func(p *peer) error {
				pl := textPayload(65536)
				return run(p.sendChopped(textFrameOf(pl), 997), func() error { return p.expectMessage(opText, pl) }, p.closeNormally)
			}, want: closed1000},
		row{id: "1.2.8", desc: "binary message of 65536 bytes written in 997-byte chops is echoed",
			serve: func(p *peer) error {
				pl := binaryPayload(65536)
				return run(p.sendChopped(frame(true, opBinary, pl), 997), func() error { return p.expectMessage(opBinary, pl) }, p.closeNormally)
			}, want: closed1000},
		row{id: "RFC6455-5.1-masked", desc: "a masked frame from the server fails the connection with 1002",
			serve: failsWith(1002, frameSpec{fin: true, op: opText, payload: []byte("hidden"), mask: true}.encode()),
			want:  fails(1002)},
		row{id: "RFC6455-5.1-masked-ping", desc: "a masked ping from the server fails the connection with 1002",
			serve: failsWith(1002, frameSpec{fin: true, op: opPing, payload: []byte("x"), mask: true}.encode()),
			want:  fails(1002)},
		row{id: "RFC6455-5.2-len16-nonminimal", desc: "a 16-bit length holding 100 (not the minimal form) fails with 1002",
			serve: failsWith(1002, frameSpec{fin: true, op: opBinary, payload: binaryPayload(100), lenForm: 16}.encode()),
			want:  fails(1002)},
		row{id: "RFC6455-5.2-len64-nonminimal", desc: "a 64-bit length holding 1000 (not the minimal form) fails with 1002",
			serve: failsWith(1002, frameSpec{fin: true, op: opBinary, payload: binaryPayload(1000), lenForm: 64}.encode()),
			want:  fails(1002)},
		row{id: "RFC6455-5.2-len64-msb", desc: "a 64-bit length with the most significant bit set fails with 1002",
			serve: failsWith(1002, frameSpec{fin: true, op: opBinary, lenOverride: 1 << 63}.encode()),
			want:  fails(1002)},
		row{id: "RFC6455-5.2-coalesced", desc: "three messages in one TCP write are echoed in order",
			serve: func(p *peer) error {
				return run(p.send(cat(textFrame("one"), binaryFrame([]byte{2}), textFrame("three"))),
					func() error { return p.expectMessage(opText, []byte("one")) },
					func() error { return p.expectMessage(opBinary, []byte{2}) },
					func() error { return p.expectMessage(opText, []byte("three")) },
					p.closeNormally)
			}, want: closed1000},
		row{id: "RFC6455-4.1-early-frame", desc: "a frame sent in the same write as the 101 is read as the first message",
			handshake: func(p *peer) error {
				_, err := p.nc.Write(cat([]byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "+p.accept()+"\r\n\r\n"), textFrame("early")))
				return err
			},
			serve: func(p *peer) error {
				return run(p.expectMessage(opText, []byte("early")), p.closeNormally)
			}, want: closed1000},
		row{id: "RFC6455-5.3-mask-keys", desc: "the client masks every frame, with keys that vary (64 echoes)",
			serve: func(p *peer) error {
				for i := range 64 {
					s := "m" + strconv.Itoa(i)
					if err := p.echo(opText, []byte(s), textFrame(s)); err != nil {
						return err
					}
				}
				return p.closeNormally()
			}, want: closed1000},
		row{id: "RFC6455-5.4-client-fragments", desc: "a message the client writes in fragments arrives whole and in order",
			serve: func(p *peer) error {
				return run(p.expectMessage(opText, []byte("part one|part two|part three")), p.closeNormally)
			},
			client: func(ctx context.Context, c *transport.Conn) error {
				w, err := c.Writer(ctx, transport.MessageText)
				if err != nil {
					return err
				}
				for _, s := range []string{"part one|", "part two|", "part three"} {
					if _, err := w.Write([]byte(s)); err != nil {
						return err
					}
				}
				if err := w.Close(); err != nil {
					return err
				}
				return echoLoop(ctx, c)
			}, want: closed1000},
	)
	return rows
}

func textFrameOf(p []byte) []byte { return frame(true, opText, p) }

// run runs steps in order, stopping at the first error. The first step
// is an error already computed, so a row reads as a sentence.
func run(first error, rest ...func() error) error {
	if first != nil {
		return first
	}
	for _, f := range rest {
		if err := f(); err != nil {
			return err
		}
	}
	return nil
}

// failsWith is the script of a row whose frames must make the client fail
// the connection: send them, then read the client's close frame with code
// and see it close TCP.
func failsWith(code uint16, frames ...[]byte) func(p *peer) error {
	return func(p *peer) error {
		_ = p.send(frames...) // the client may close before it reads them all
		return run(p.expectClose(code), p.expectEOF)
	}
}

// echoThenFail is failsWith after some messages that must be echoed first.
func echoThenFail(code uint16, echoes []message, frames ...[]byte) func(p *peer) error {
	return func(p *peer) error {
		_ = p.send(frames...)
		for _, m := range echoes {
			if err := p.expectMessage(m.op, m.payload); err != nil {
				return err
			}
		}
		return run(p.expectClose(code), p.expectEOF)
	}
}
