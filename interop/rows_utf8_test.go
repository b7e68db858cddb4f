package interop

import (
	"encoding/hex"
	"strconv"
)

// kosme is "κόσμε", the Greek word Markus Kuhn's UTF-8 test file (and
// Autobahn 6.*) is built around.
var kosme = []byte("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5")

// utf8Sample is one entry of the UTF-8 stress table: Autobahn 6.5–6.23
// take their samples from Kuhn's UTF-8 decoder capability and stress test.
type utf8Sample struct {
	name  string
	hex   string
	valid bool
}

var utf8Samples = []utf8Sample{
	{"kosme", "cebae1bdb9cf83cebcceb5", true},
	{"first-1-byte", "00", true},
	{"first-2-byte", "c280", true},
	{"first-3-byte", "e0a080", true},
	{"first-4-byte", "f0908080", true},
	{"last-1-byte", "7f", true},
	{"last-2-byte", "dfbf", true},
	{"last-3-byte-U+FFFF", "efbfbf", true},
	{"last-4-byte-U+10FFFF", "f48fbfbf", true},
	{"U+D7FF", "ed9fbf", true},
	{"U+E000", "ee8080", true},
	{"U+FFFD", "efbfbd", true},
	{"noncharacter-U+FFFE", "efbfbe", true},
	{"noncharacter-U+FDD0", "efb790", true},
	{"noncharacter-U+1FFFE", "f09fbfbe", true},
	{"first-5-byte", "f888808080", false},
	{"first-6-byte", "fc8480808080", false},
	{"4-byte-U+1FFFFF", "f7bfbfbf", false},
	{"4-byte-U+110000", "f4908080", false},
	{"lone-continuation-80", "80", false},
	{"lone-continuation-bf", "bf", false},
	{"two-continuations", "80bf", false},
	{"three-continuations", "80bf80", false},
	{"kosme-then-continuation", "cebae1bdb9cf83cebcceb580", false},
	{"lonely-start-c0", "c020", false},
	{"lonely-start-e0", "e020", false},
	{"lonely-start-f0", "f020", false},
	{"missing-last-2-byte", "c2", false},
	{"missing-last-3-byte", "e080", false},
	{"missing-last-4-byte", "f08080", false},
	{"missing-last-dfbf", "df", false},
	{"missing-last-efbf", "efbf", false},
	{"missing-last-f4bfbf", "f48fbf", false},
	{"concatenated-incomplete", "c2e080f08080", false},
	{"impossible-fe", "fe", false},
	{"impossible-ff", "ff", false},
	{"impossible-fefeffff", "fefeffff", false},
	{"overlong-slash-2", "c0af", false},
	{"overlong-slash-3", "e080af", false},
	{"overlong-slash-4", "f08080af", false},
	{"overlong-max-2", "c1bf", false},
	{"overlong-max-3", "e09fbf", false},
	{"overlong-max-4", "f08fbfbf", false},
	{"overlong-nul-2", "c080", false},
	{"overlong-nul-3", "e08080", false},
	{"surrogate-U+D800", "eda080", false},
	{"surrogate-U+DB7F", "edadbf", false},
	{"surrogate-U+DB80", "edae80", false},
	{"surrogate-U+DBFF", "edafbf", false},
	{"surrogate-U+DC00", "edb080", false},
	{"surrogate-U+DF80", "edbe80", false},
	{"surrogate-U+DFFF", "edbfbf", false},
	{"surrogate-pair", "eda080edb080", false},
	{"surrogate-pair-max", "edafbfedbfbf", false},
	{"kosme-with-surrogate", "cebae1bdb9cf83cebcceb5eda080656469746564", false},
}

// utf8Rows are Autobahn 6.*: text must be valid UTF-8 (RFC 6455 §8.1),
// checked across fragment boundaries, and a client fails the connection
// with 1007 as soon as the bytes it has cannot begin a valid sequence —
// without waiting for the rest of the frame or message (6.4.*, "fail
// fast").
func utf8Rows() []row {
	hello := []byte("Hello-\xc2\xb5@\xc3\x9f\xc3\xb6\xc3\xa4\xc3\xbc\xc3\xa0\xc3\xa1-UTF-8!!")
	rows := []row{
		{id: "6.1.1", desc: "empty text message is echoed", serve: echoRow(opText, nil, textFrame("")), want: closed1000},
		{id: "6.1.2", desc: "empty text in 3 empty fragments is echoed",
			serve: echoRow(opText, nil, frame(false, opText, nil), frame(false, opCont, nil), frame(true, opCont, nil)), want: closed1000},
		{id: "6.1.3", desc: "text in fragments empty, 'middle frame payload', empty is echoed",
			serve: echoRow(opText, []byte("middle frame payload"), frame(false, opText, nil), frame(false, opCont, []byte("middle frame payload")), frame(true, opCont, nil)), want: closed1000},
		{id: "6.2.1", desc: "valid multi-byte UTF-8 in one frame is echoed", serve: echoRow(opText, hello, frame(true, opText, hello)), want: closed1000},
		{id: "6.2.2", desc: "valid UTF-8 in two fragments split on a code point boundary is echoed",
			serve: echoRow(opText, hello, frame(false, opText, hello[:8]), frame(true, opCont, hello[8:])), want: closed1000},
		{id: "6.2.3", desc: "valid UTF-8 in 1-byte fragments (splitting code points) is echoed",
			serve: echoRow(opText, hello, bytewise(hello)), want: closed1000},
		{id: "6.2.4", desc: "kosme in 1-byte fragments is echoed", serve: echoRow(opText, kosme, bytewise(kosme)), want: closed1000},
		{id: "6.3.1", desc: "kosme with a surrogate inside fails with 1007",
			serve: failsWith(1007, frame(true, opText, mustHex("cebae1bdb9cf83cebcceb5eda080656469746564"))), want: fails(1007)},
		{id: "6.3.2", desc: "as 6.3.1 in 1-byte fragments fails with 1007",
			serve: failsWith(1007, bytewise(mustHex("cebae1bdb9cf83cebcceb5eda080656469746564"))), want: fails(1007)},
		{id: "6.4.1", desc: "fail fast: fragments kosme | F4 90 80 80 | edited — 1007 before the 3rd fragment is sent",
			serve: failFast(frame(false, opText, kosme), frame(false, opCont, mustHex("f4908080"))), want: fails(1007)},
		{id: "6.4.2", desc: "fail fast: fragments kosme F4 | 90 80 80 — 1007 before the rest is sent",
			serve: failFast(frame(false, opText, cat(kosme, []byte{0xf4})), frame(false, opCont, mustHex("908080"))), want: fails(1007)},
		{id: "6.4.3", desc: "fail fast inside one frame: header+kosme | F4 90 80 80 — 1007 before 'edited' is sent",
			serve: failFastFrame([]byte("edited"), kosme, mustHex("f4908080")), want: fails(1007)},
		{id: "6.4.4", desc: "fail fast inside one frame: kosme | F4 | 90 — 1007 as soon as 0x90 arrives",
			serve: failFastFrame(mustHex("8080656469746564"), kosme, []byte{0xf4}, []byte{0x90}), want: fails(1007)},
		{id: "6.x-text-ends-mid-rune", desc: "a text message ending inside a code point fails with 1007",
			serve: failsWith(1007, frame(false, opText, []byte("abc\xe2\x82")), frame(true, opCont, nil)), want: fails(1007)},
		{id: "6.x-binary-not-checked", desc: "invalid UTF-8 in a binary message is echoed: only text is checked",
			serve: echoRow(opBinary, mustHex("eda080fffe"), binaryFrame(mustHex("eda080fffe"))), want: closed1000},
	}
	for i, s := range utf8Samples {
		b := mustHex(s.hex)
		id := "6.5-23." + strconv.Itoa(i+1) + "-" + s.name
		if s.valid {
			rows = append(rows,
				row{id: id, desc: "valid " + s.name + " is echoed", serve: echoRow(opText, b, frame(true, opText, b)), want: closed1000},
				row{id: id + "-bytewise", desc: "valid " + s.name + " in 1-byte fragments is echoed", serve: echoRow(opText, b, bytewise(b)), want: closed1000})
			continue
		}
		rows = append(rows,
			row{id: id, desc: "invalid " + s.name + " fails with 1007", serve: failsWith(1007, frame(true, opText, b)), want: fails(1007)},
			row{id: id + "-bytewise", desc: "invalid " + s.name + " in 1-byte fragments fails with 1007", serve: failsWith(1007, bytewise(b)), want: fails(1007)})
	}
	return rows
}

// echoRow sends frames holding one message, expects it echoed, and closes.
func echoRow(op byte, payload []byte, frames ...[]byte) func(p *peer) error {
	return func(p *peer) error {
		return run(p.echo(op, payload, frames...), p.closeNormally)
	}
}

// bytewise is a text message as one fragment per byte.
func bytewise(b []byte) []byte {
	if len(b) == 0 {
		return textFrame("")
	}
	return fragments(opText, b, 1)
}

// failFast sends frames, then waits for the client's 1007 close before it
// would send anything more: a client that waits for the message to end
// never gets the rest and the row fails on its deadline.
func failFast(frames ...[]byte) func(p *peer) error {
	return func(p *peer) error {
		return run(p.send(frames...), func() error { return p.expectClose(1007) }, p.expectEOF)
	}
}

// failFastFrame writes one text frame whose length covers sent and held,
// but only the header and the sent pieces (one write each): the client
// must close with 1007 once those hold an invalid sequence, while held is
// still unwritten.
func failFastFrame(held []byte, sent ...[]byte) func(p *peer) error {
	return func(p *peer) error {
		whole := cat(cat(sent...), held)
		f := frame(true, opText, whole)
		if err := p.send(f[:len(f)-len(whole)]); err != nil {
			return err
		}
		if err := p.send(sent...); err != nil {
			return err
		}
		return run(p.expectClose(1007), p.expectEOF)
	}
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}
