package interop

import (
	"bytes"
	"strconv"
)

// pingRows are Autobahn 2.*: pings are answered with pongs carrying the
// same payload (RFC 6455 §5.5.2), unsolicited pongs are ignored (§5.5.3),
// and control frames over 125 bytes fail the connection (§5.5).
func pingRows() []row {
	pong := func(payload []byte) func(p *peer) error {
		return func(p *peer) error {
			return run(p.send(pingFrame(payload)), func() error { return p.expectPong(payload) }, p.closeNormally)
		}
	}
	return []row{
		{id: "2.1", desc: "ping without payload gets a pong without payload", serve: pong(nil), want: closed1000},
		{id: "2.2", desc: "ping with a small text payload gets the same pong", serve: pong([]byte("Hello, world!")), want: closed1000},
		{id: "2.3", desc: "ping with a small binary payload gets the same pong", serve: pong([]byte{0, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0, 0xff}), want: closed1000},
		{id: "2.4", desc: "ping with a 125-byte payload gets the same pong", serve: pong(bytes.Repeat([]byte{0xfe}, 125)), want: closed1000},
		{id: "2.5", desc: "ping with a 126-byte payload fails the connection with 1002",
			serve: failsWith(1002, pingFrame(bytes.Repeat([]byte{0xfe}, 126))), want: fails(1002)},
		{id: "2.6", desc: "ping with 125 bytes written in 1-byte chops gets the same pong",
			serve: func(p *peer) error {
				pl := bytes.Repeat([]byte{0xfe}, 125)
				return run(p.sendChopped(pingFrame(pl), 1), func() error { return p.expectPong(pl) }, p.closeNormally)
			}, want: closed1000},
		{id: "2.7", desc: "an unsolicited pong without payload is ignored",
			serve: func(p *peer) error {
				return run(p.send(pongFrame(nil)), p.closeNormally)
			}, want: closed1000},
		{id: "2.8", desc: "an unsolicited pong with payload is ignored",
			serve: func(p *peer) error {
				return run(p.send(pongFrame([]byte("unsolicited pong payload"))), p.closeNormally)
			}, want: closed1000},
		{id: "2.9", desc: "an unsolicited pong, then a ping: only the ping is answered",
			serve: func(p *peer) error {
				return run(p.send(pongFrame([]byte("unsolicited")), pingFrame([]byte("solicited"))),
					func() error { return p.expectPong([]byte("solicited")) }, p.closeNormally)
			}, want: closed1000},
		{id: "2.10", desc: "10 pings are each answered, in order", serve: tenPings(0), want: closed1000},
		{id: "2.11", desc: "10 pings written in 1-byte chops are each answered, in order", serve: tenPings(1), want: closed1000},
		{id: "RFC6455-5.5-fragmented-ping", desc: "a ping without FIN (fragmented control frame) fails with 1002",
			serve: failsWith(1002, frame(false, opPing, []byte("a")), frame(true, opCont, []byte("b"))), want: fails(1002)},
		{id: "RFC6455-5.5-big-pong", desc: "a pong with 126 bytes fails with 1002",
			serve: failsWith(1002, pongFrame(make([]byte, 126))), want: fails(1002)},
		{id: "RFC6455-5.5-big-close", desc: "a close frame with 126 bytes fails with 1002",
			serve: failsWith(1002, frame(true, opClose, closePayload(1000, string(textPayload(124))))), want: fails(1002)},
	}
}

func tenPings(chop int) func(p *peer) error {
	return func(p *peer) error {
		var all []byte
		for i := range 10 {
			all = append(all, pingFrame([]byte("payload-"+strconv.Itoa(i)))...)
		}
		var err error
		if chop > 0 {
			err = p.sendChopped(all, chop)
		} else {
			err = p.send(all)
		}
		if err != nil {
			return err
		}
		for i := range 10 {
			if err := p.expectPong([]byte("payload-" + strconv.Itoa(i))); err != nil {
				return err
			}
		}
		return p.closeNormally()
	}
}

// reservedRows are Autobahn 3.* (RSV bits set with no extension
// negotiated) and 4.* (reserved opcodes): both fail the connection with
// 1002 (RFC 6455 §5.2), after the valid messages before them are echoed.
func reservedRows() []row {
	hello := []message{{opText, []byte("Hello, world!")}}
	ping := pingFrame([]byte("ping after"))
	rows := []row{
		{id: "3.1", desc: "text with RSV1 fails with 1002", serve: failsWith(1002, rsvFrame(4, opText, []byte("Hello, world!"))), want: fails(1002)},
		{id: "3.2", desc: "text, text with RSV2, ping: first echoed, then 1002",
			serve: echoThenFail(1002, hello, textFrame("Hello, world!"), rsvFrame(2, opText, []byte("Hello, world!")), ping), want: fails(1002)},
		{id: "3.3", desc: "text, text with RSV1+RSV2, ping, in one write: first echoed, then 1002",
			serve: echoThenFail(1002, hello, cat(textFrame("Hello, world!"), rsvFrame(6, opText, []byte("Hello, world!")), ping)), want: fails(1002)},
		{id: "3.4", desc: "text, text with RSV3, ping, chopped: first echoed, then 1002",
			serve: func(p *peer) error {
				_ = p.sendChopped(cat(textFrame("Hello, world!"), rsvFrame(1, opText, []byte("Hello, world!")), ping), 1)
				return run(p.expectMessage(opText, []byte("Hello, world!")), func() error { return p.expectClose(1002) }, p.expectEOF)
			}, want: fails(1002)},
		{id: "3.5", desc: "binary with RSV1+RSV3 fails with 1002", serve: failsWith(1002, rsvFrame(5, opBinary, binaryPayload(8))), want: fails(1002)},
		{id: "3.6", desc: "ping with RSV2+RSV3 fails with 1002", serve: failsWith(1002, rsvFrame(3, opPing, []byte("ping"))), want: fails(1002)},
		{id: "3.7", desc: "close with all RSV bits fails with 1002", serve: failsWith(1002, rsvFrame(7, opClose, closePayload(1000, ""))), want: fails(1002)},
	}
	for i, op := range []byte{3, 4, 5, 6, 7} {
		rows = append(rows, reservedOpRow("4.1."+strconv.Itoa(i+1), op, i))
	}
	for i, op := range []byte{11, 12, 13, 14, 15} {
		rows = append(rows, reservedOpRow("4.2."+strconv.Itoa(i+1), op, i))
	}
	return rows
}

// reservedOpRow follows Autobahn's pattern for 4.x.y: y=1 sends the
// reserved opcode alone, y=2 with a payload, y≥3 between a valid text
// message (which must be echoed) and a ping.
func reservedOpRow(id string, op byte, variant int) row {
	desc := "reserved opcode " + strconv.Itoa(int(op))
	switch variant {
	case 0:
		return row{id: id, desc: desc + " fails with 1002", serve: failsWith(1002, frame(true, op, nil)), want: fails(1002)}
	case 1:
		return row{id: id, desc: desc + " with payload fails with 1002", serve: failsWith(1002, frame(true, op, []byte("reserved"))), want: fails(1002)}
	}
	return row{id: id, desc: "text, " + desc + ", ping: text echoed, then 1002",
		serve: echoThenFail(1002, []message{{opText, []byte("Hello, world!")}},
			textFrame("Hello, world!"), frame(true, op, []byte("reserved")), pingFrame([]byte("after"))),
		want: fails(1002)}
}
