package interop

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/sturdyws/sturdy/transport"
)

// closeRows are Autobahn 7.* and RFC 6455 §5.5.1, §7: the closing
// handshake from either side, what may follow a close frame (nothing),
// close payload validity and the close codes a peer may send (§7.4).
func closeRows() []row {
	rows := []row{
		{id: "7.1.1", desc: "text, then close: text echoed, close echoed with 1000",
			serve: echoRow(opText, []byte("Hello World!"), textFrame("Hello World!")), want: closed1000},
		{id: "7.1.2", desc: "two close frames: the first is echoed once, the second ignored",
			serve: func(p *peer) error {
				return run(p.send(closeFrame(1000, ""), closeFrame(1000, "")), func() error { return p.expectClose(1000) }, p.expectEOF)
			}, want: closed1000},
		{id: "7.1.3", desc: "close, then ping: the ping is not answered",
			serve: func(p *peer) error {
				return run(p.send(cat(closeFrame(1000, ""), pingFrame([]byte("Hello World!")))), func() error { return p.expectClose(1000) }, p.expectEOF)
			}, want: closed1000},
		{id: "7.1.4", desc: "close, then text: the text is not echoed",
			serve: func(p *peer) error {
				return run(p.send(cat(closeFrame(1000, ""), textFrame("Hello World!"))), func() error { return p.expectClose(1000) }, p.expectEOF)
			}, want: closed1000},
		{id: "7.1.5", desc: "first fragment of a text, close, last fragment: close echoed, nothing else",
			serve: func(p *peer) error {
				return run(p.send(cat(frame(false, opText, []byte("fragment1")), closeFrame(1000, ""), frame(true, opCont, []byte("fragment2")))),
					func() error { return p.expectClose(1000) }, p.expectEOF)
			}, want: closed1000},
		{id: "7.1.6", desc: "256 KiB text, close, ping: the text is echoed, then the close, no pong",
			serve: func(p *peer) error {
				pl := textPayload(256 << 10)
				return run(p.send(cat(frame(true, opText, pl), closeFrame(1000, ""), pingFrame([]byte("Hello World!")))),
					func() error { return p.expectMessage(opText, pl) }, func() error { return p.expectClose(1000) }, p.expectEOF)
			}, want: closed1000},
		{id: "7.3.1", desc: "close with an empty payload is echoed with an empty payload",
			serve: closeEcho(nil, 0), want: want{code: transport.StatusNoStatusReceived}},
		{id: "7.3.2", desc: "close with a 1-byte payload fails with 1002",
			serve: failsWith(1002, frame(true, opClose, []byte{0x03})), want: fails(1002)},
		{id: "7.3.3", desc: "close with 1000 and no reason is echoed", serve: closeEcho(closePayload(1000, ""), 1000), want: closed1000},
		{id: "7.3.4", desc: "close with 1000 and a reason is echoed", serve: closeEcho(closePayload(1000, "Hello World!"), 1000), want: closed1000},
		{id: "7.3.5", desc: "close with 1000 and a 123-byte reason is echoed",
			serve: closeEcho(closePayload(1000, string(textPayload(123))), 1000), want: closed1000},
		{id: "7.3.6", desc: "close with 1000 and a 124-byte reason (payload 126) fails with 1002",
			serve: failsWith(1002, frame(true, opClose, closePayload(1000, string(textPayload(124))))), want: fails(1002)},
		{id: "7.5.1", desc: "close with 1000 and a reason that is not UTF-8 fails with 1007",
			serve: failsWith(1007, frame(true, opClose, cat(closePayload(1000, ""), mustHex("cebae1bdb9cf83cebcceb5eda080656469746564")))),
			want:  fails(1007)},
		{id: "RFC6455-7.1.2-client-close", desc: "the client's Close sends 1000 with its reason and completes on the server's reply",
			serve: func(p *peer) error {
				f, err := p.readFrame()
				if err != nil {
					return err
				}
				if f.op != opClose || len(f.payload) < 2 || binary.BigEndian.Uint16(f.payload) != 1000 || string(f.payload[2:]) != "bye" {
					return fmt.Errorf("client sent op %d %s, want close 1000 \"bye\"", f.op, describeClose(f.payload))
				}
				// The server closes TCP first (§7.1.1); then the client does.
				return p.send(closeFrame(1000, ""))
			},
			client: func(ctx context.Context, c *transport.Conn) error { return c.Close(1000, "bye") },
			want:   want{noCode: true}},
		{id: "RFC6455-7.1.2-close-no-reply", desc: "the client's Close ends the connection after its close timeout when the server never replies, with ErrCloseIncomplete",
			dial: transport.DialOptions{CloseTimeout: 300 * time.Millisecond},
			serve: func(p *peer) error {
				return run(p.expectClose(1001), p.expectEOF)
			},
			client: func(ctx context.Context, c *transport.Conn) error {
				// Nothing proves the server read what came before the
				// close, and Close says so.
				if err := c.Close(1001, ""); !errors.Is(err, transport.ErrCloseIncomplete) {
					return fmt.Errorf("Close returned %v, want ErrCloseIncomplete", err)
				}
				<-c.Done()
				return nil
			},
			want: want{noCode: true}},
		{id: "RFC6455-7.1.1-close-then-tcp-close", desc: "a close frame followed at once by TCP close ends the client with the server's code",
			serve: func(p *peer) error {
				return run(p.send(closeFrame(1001, "going")), p.nc.Close)
			}, want: want{code: 1001}},
		{id: "RFC6455-7.1.5-tcp-drop", desc: "TCP closed with no close frame ends the client with 1006",
			serve: func(p *peer) error { return p.nc.Close() }, want: want{code: transport.StatusAbnormalClosure}},
		{id: "RFC6455-7.1.5-tcp-drop-mid-frame", desc: "TCP closed in the middle of a frame ends the client with 1006",
			serve: func(p *peer) error {
				f := binaryFrame(binaryPayload(1000))
				return run(p.send(f[:500]), p.nc.Close)
			}, want: want{code: transport.StatusAbnormalClosure}},
		{id: "RFC6455-5.5.1-close-during-client-message", desc: "a close while the client writes fragments is echoed between them",
			serve: func(p *peer) error {
				// The client starts a fragmented message and waits for the
				// server's close before finishing it.
				f, err := p.readFrame()
				if err != nil {
					return err
				}
				if f.op != opText || f.fin {
					return fmt.Errorf("first client frame op %d fin %v, want an unfinished text", f.op, f.fin)
				}
				return run(p.send(closeFrame(1001, "")), func() error { return p.expectClose(1001) }, p.expectEOF)
			},
			client: func(ctx context.Context, c *transport.Conn) error {
				w, err := c.Writer(ctx, transport.MessageText)
				if err != nil {
					return err
				}
				if _, err := w.Write([]byte("first half")); err != nil {
					return err
				}
				// Writer buffers; a ping-free flush of the fragment needs
				// a control frame or Close. Ping flushes the buffer.
				if err := c.Ping(ctx, nil); err != nil {
					return err
				}
				_, _, err = c.Read(ctx)
				return err
			},
			want: want{code: 1001}},
	}
	for i, code := range []uint16{1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999} {
		rows = append(rows, row{id: "7.7." + strconv.Itoa(i+1), desc: "close with valid code " + strconv.Itoa(int(code)) + " is echoed with it",
			serve: closeEcho(closePayload(code, ""), code), want: want{code: transport.StatusCode(code)}})
	}
	for _, code := range []uint16{1012, 1013, 1014} {
		rows = append(rows, row{id: "IANA-" + strconv.Itoa(int(code)), desc: "close with IANA-registered code " + strconv.Itoa(int(code)) + " is echoed with it",
			serve: closeEcho(closePayload(code, ""), code), want: want{code: transport.StatusCode(code)}})
	}
	for i, code := range []uint16{0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999} {
		rows = append(rows, row{id: "7.9." + strconv.Itoa(i+1), desc: "close with invalid code " + strconv.Itoa(int(code)) + " fails with 1002",
			serve: failsWith(1002, frame(true, opClose, closePayload(code, ""))), want: fails(1002)})
	}
	rows = append(rows,
		row{id: "7.9.x-1015", desc: "close with 1015 (never sent on the wire) fails with 1002",
			serve: failsWith(1002, frame(true, opClose, closePayload(1015, ""))), want: fails(1002)},
		row{id: "7.13.1", desc: "close with code 5000 fails with 1002",
			serve: failsWith(1002, frame(true, opClose, closePayload(5000, ""))), want: fails(1002)},
		row{id: "7.13.2", desc: "close with code 65535 fails with 1002",
			serve: failsWith(1002, frame(true, opClose, closePayload(65535, ""))), want: fails(1002)},
	)
	return rows
}

// closeEcho sends a close frame with payload and expects the client to
// echo code (0: an empty payload), then to close TCP.
func closeEcho(payload []byte, code uint16) func(p *peer) error {
	return func(p *peer) error {
		return run(p.send(frame(true, opClose, payload)), func() error { return p.expectClose(code) }, p.expectEOF)
	}
}
