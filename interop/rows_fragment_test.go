package interop

// fragmentRows are Autobahn 5.*: fragmented messages are reassembled,
// control frames may come between fragments (RFC 6455 §5.4) and are
// answered at once, and every misuse of continuation frames fails the
// connection with 1002.
func fragmentRows() []row {
	frag1, frag2 := []byte("fragment1"), []byte("fragment2")
	whole := cat(frag1, frag2)
	twoFrags := cat(frame(false, opText, frag1), frame(true, opCont, frag2))
	withPing := cat(frame(false, opText, frag1), pingFrame([]byte("pongme!")), frame(true, opCont, frag2))
	echoChopped := func(b []byte, chop int, pong bool) func(p *peer) error {
		return func(p *peer) error {
			steps := []func() error{}
			if pong {
				steps = append(steps, func() error { return p.expectPong([]byte("pongme!")) })
			}
			steps = append(steps, func() error { return p.expectMessage(opText, whole) }, p.closeNormally)
			var err error
			if chop > 0 {
				err = p.sendChopped(b, chop)
			} else {
				err = p.send(b)
			}
			return run(err, steps...)
		}
	}
	// continuationAlone is 5.9–5.14: a continuation with no message
	// started, FIN set or not, then a valid message that must not be
	// echoed.
	continuationAlone := func(fin bool, chop int) func(p *peer) error {
		return func(p *peer) error {
			b := cat(frame(fin, opCont, []byte("non-continuation payload")), textFrame("Hello, world!"))
			if chop > 0 {
				_ = p.sendChopped(b, chop)
			} else {
				_ = p.send(b)
			}
			return run(p.expectClose(1002), p.expectEOF)
		}
	}
	return []row{
		{id: "5.1", desc: "ping in 2 fragments fails with 1002",
			serve: failsWith(1002, frame(false, opPing, frag1), frame(true, opCont, frag2)), want: fails(1002)},
		{id: "5.2", desc: "pong in 2 fragments fails with 1002",
			serve: failsWith(1002, frame(false, opPong, frag1), frame(true, opCont, frag2)), want: fails(1002)},
		{id: "5.3", desc: "text in 2 fragments is echoed whole", serve: echoChopped(twoFrags, 0, false), want: closed1000},
		{id: "5.4", desc: "text in 2 fragments, chopped in 3-byte writes, is echoed", serve: echoChopped(twoFrags, 3, false), want: closed1000},
		{id: "5.5", desc: "text in 2 fragments, 1-byte writes, is echoed", serve: echoChopped(twoFrags, 1, false), want: closed1000},
		{id: "5.6", desc: "text in 2 fragments with a ping between: pong first, then the echo", serve: echoChopped(withPing, 0, true), want: closed1000},
		{id: "5.7", desc: "as 5.6, chopped in 3-byte writes", serve: echoChopped(withPing, 3, true), want: closed1000},
		{id: "5.8", desc: "as 5.6, 1-byte writes", serve: echoChopped(withPing, 1, true), want: closed1000},
		{id: "5.9", desc: "continuation (FIN) with nothing to continue fails with 1002", serve: continuationAlone(true, 0), want: fails(1002)},
		{id: "5.10", desc: "as 5.9, 3-byte writes", serve: continuationAlone(true, 3), want: fails(1002)},
		{id: "5.11", desc: "as 5.9, 1-byte writes", serve: continuationAlone(true, 1), want: fails(1002)},
		{id: "5.12", desc: "continuation (no FIN) with nothing to continue fails with 1002", serve: continuationAlone(false, 0), want: fails(1002)},
		{id: "5.13", desc: "as 5.12, 3-byte writes", serve: continuationAlone(false, 3), want: fails(1002)},
		{id: "5.14", desc: "as 5.12, 1-byte writes", serve: continuationAlone(false, 1), want: fails(1002)},
		{id: "5.15", desc: "text in 2 fragments, then a continuation pair with no start: first echoed, then 1002",
			serve: echoThenFail(1002, []message{{opText, whole}},
				twoFrags, frame(false, opCont, []byte("fragment3")), frame(true, opCont, []byte("fragment4"))),
			want: fails(1002)},
		{id: "5.16", desc: "a continuation before any text start fails with 1002 before anything is echoed",
			serve: failsWith(1002, frame(false, opCont, frag1), frame(false, opText, frag2), frame(true, opCont, []byte("fragment3"))),
			want:  fails(1002)},
		{id: "5.17", desc: "as 5.16 with FIN on the stray continuation",
			serve: failsWith(1002, frame(true, opCont, frag1), frame(false, opText, frag2), frame(true, opCont, []byte("fragment3"))),
			want:  fails(1002)},
		{id: "5.18", desc: "a text frame where a continuation is due fails with 1002",
			serve: failsWith(1002, frame(false, opText, frag1), frame(true, opText, frag2)), want: fails(1002)},
		{id: "5.19", desc: "text in 5 fragments with pings after the 2nd and 4th: both pongs, then the echo",
			serve: fivePieces(false), want: closed1000},
		{id: "5.20", desc: "as 5.19, the harness waits for each pong before the next fragment",
			serve: fivePieces(true), want: closed1000},
		{id: "RFC6455-5.4-interleaved-binary", desc: "a binary frame inside a fragmented text message fails with 1002",
			serve: failsWith(1002, frame(false, opText, frag1), binaryFrame(frag2)), want: fails(1002)},
		{id: "RFC6455-5.4-empty-fragments", desc: "a message of many empty fragments is echoed as an empty message",
			serve: func(p *peer) error {
				return run(p.echo(opBinary, nil, frame(false, opBinary, nil), frame(false, opCont, nil), frame(false, opCont, nil), frame(true, opCont, nil)), p.closeNormally)
			}, want: closed1000},
	}
}

// fivePieces is 5.19/5.20. With waitPong, each pong is read before the
// next fragment goes out: the client must answer a ping in the middle of a
// message without waiting for the message's end.
func fivePieces(waitPong bool) func(p *peer) error {
	return func(p *peer) error {
		parts := [][]byte{[]byte("fragment1"), []byte("fragment2"), []byte("fragment3"), []byte("fragment4"), []byte("fragment5")}
		var whole []byte
		for _, x := range parts {
			whole = append(whole, x...)
		}
		steps := [][]byte{
			frame(false, opText, parts[0]), frame(false, opCont, parts[1]), pingFrame([]byte("pongme 1!")),
			frame(false, opCont, parts[2]), frame(false, opCont, parts[3]), pingFrame([]byte("pongme 2!")),
			frame(true, opCont, parts[4]),
		}
		pending := 0
		for i, s := range steps {
			if err := p.send(s); err != nil {
				return err
			}
			if i == 2 || i == 5 {
				pending++
				if waitPong {
					if err := p.expectPong([]byte("pongme " + string(rune('0'+pending)) + "!")); err != nil {
						return err
					}
				}
			}
		}
		if !waitPong {
			for i := 1; i <= 2; i++ {
				if err := p.expectPong([]byte("pongme " + string(rune('0'+i)) + "!")); err != nil {
					return err
				}
			}
		}
		return run(p.expectMessage(opText, whole), p.closeNormally)
	}
}
