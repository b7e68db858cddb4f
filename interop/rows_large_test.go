package interop

import (
	"fmt"
	"strconv"

	"github.com/sturdyws/sturdy/transport"
)

const (
	kib = 1 << 10
	mib = 1 << 20
)

// limitRows check the read limit (RFC 6455 §10.4 leaves it to the
// implementation; sturdy defaults to 16 MiB): a message over it fails the
// connection with 1009 as soon as a header announces it, before the
// payload is read.
func limitRows() []row {
	small := transport.DialOptions{ReadLimit: 1024}
	return []row{
		{id: "limit-1024-exact", desc: "with ReadLimit 1024, a 1024-byte message is echoed",
			dial: small, serve: echoRow(opBinary, binaryPayload(1024), binaryFrame(binaryPayload(1024))), want: closed1000},
		{id: "limit-1024-over", desc: "with ReadLimit 1024, a 1025-byte message fails with 1009",
			dial: small, serve: failsWith(1009, binaryFrame(binaryPayload(1025))), want: fails(1009)},
		{id: "limit-1024-fragmented", desc: "with ReadLimit 1024, fragments adding up to 1025 bytes fail with 1009",
			dial: small, serve: failsWith(1009, fragments(opBinary, binaryPayload(1025), 300)), want: fails(1009)},
		{id: "limit-default-announced", desc: "a header announcing 16 MiB + 1 fails with 1009 before any payload",
			serve: failsWith(1009, frameSpec{fin: true, op: opBinary, lenOverride: 16*mib + 1}.encode()), want: fails(1009)},
		{id: "limit-default-1GiB-lie", desc: "a header announcing 1 GiB followed by 100 bytes fails with 1009 at once",
			serve: failsWith(1009, cat(frameSpec{fin: true, op: opBinary, lenOverride: 1 << 30}.encode(), binaryPayload(100))), want: fails(1009)},
	}
}

// largeRows are Autobahn 9.* (large messages, many fragments, slow
// delivery, many small messages) and 10.1.1. short drops the 8 and 16 MiB
// cases and the 1000-message runs.
func largeRows(short bool) []row {
	var rows []row
	sizes := []int{64 * kib, 256 * kib, 1 * mib, 4 * mib, 8 * mib, 16 * mib}
	for i, n := range sizes {
		if short && n > 4*mib {
			continue
		}
		for _, k := range []struct {
			group string
			op    byte
			gen   func(int) []byte
		}{{"9.1.", opText, textPayload}, {"9.2.", opBinary, binaryPayload}} {
			pl := k.gen(n)
			rows = append(rows, row{id: k.group + strconv.Itoa(i+1), desc: fmt.Sprintf("%d-byte message (op %d) in one frame is echoed", n, k.op),
				serve: echoRow(k.op, pl, frame(true, k.op, pl)), want: closed1000})
		}
	}
	for i, fs := range []int{64, 256, 1 * kib, 4 * kib, 16 * kib, 64 * kib, 256 * kib, 1 * mib, 4 * mib} {
		for _, k := range []struct {
			group string
			op    byte
			gen   func(int) []byte
		}{{"9.3.", opText, textPayload}, {"9.4.", opBinary, binaryPayload}} {
			fs, op, gen := fs, k.op, k.gen
			rows = append(rows, row{id: k.group + strconv.Itoa(i+1), desc: fmt.Sprintf("4 MiB message (op %d) in %d-byte fragments is echoed", op, fs),
				serve: func(p *peer) error {
					pl := gen(4 * mib)
					return echoRow(op, pl, fragments(op, pl, fs))(p)
				}, want: closed1000})
		}
	}
	for i, chop := range []int{64, 128, 256, 512, 1024, 2048} {
		for _, k := range []struct {
			group string
			op    byte
			gen   func(int) []byte
		}{{"9.5.", opText, textPayload}, {"9.6.", opBinary, binaryPayload}} {
			chop, op, gen := chop, k.op, k.gen
			rows = append(rows, row{id: k.group + strconv.Itoa(i+1), desc: fmt.Sprintf("1 MiB message (op %d) written in %d-byte chops is echoed", op, chop),
				serve: func(p *peer) error {
					pl := gen(1 * mib)
					return run(p.sendChopped(frame(true, op, pl), chop), func() error { return p.expectMessage(op, pl) }, p.closeNormally)
				}, want: closed1000})
		}
	}
	if !short {
		for i, n := range []int{0, 16, 64, 256, 1024, 4096} {
			for _, k := range []struct {
				group string
				op    byte
				gen   func(int) []byte
			}{{"9.7.", opText, textPayload}, {"9.8.", opBinary, binaryPayload}} {
				n, op, gen := n, k.op, k.gen
				rows = append(rows, row{id: k.group + strconv.Itoa(i+1), desc: fmt.Sprintf("1000 messages of %d bytes (op %d), one round trip each", n, op),
					serve: func(p *peer) error {
						pl := gen(n)
						f := frame(true, op, pl)
						for range 1000 {
							if err := p.echo(op, pl, f); err != nil {
								return err
							}
						}
						return p.closeNormally()
					}, want: closed1000})
			}
		}
	}
	rows = append(rows, row{id: "10.1.1", desc: "a 65536-byte text in 1300-byte fragments is echoed whole",
		serve: func(p *peer) error {
			pl := textPayload(65536)
			return echoRow(opText, pl, fragments(opText, pl, 1300))(p)
		}, want: closed1000})
	return rows
}
