package transport

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEchoSizes(t *testing.T) {
	cc, sc := connPair(t, connConfig{}, connConfig{})
	ctx := context.Background()
	for _, n := range []int{0, 1, 125, 126, 127, 4095, 4096, 65535, 65536, 1 << 20} {
		for _, typ := range []MessageType{MessageText, MessageBinary} {
			msg := bytes.Repeat([]byte("a"), n)
			errc := make(chan error, 1)
			go func() { errc <- cc.Write(ctx, typ, msg) }()
			gotTyp, got, err := sc.Read(ctx)
			require.NoError(t, err)
			require.NoError(t, <-errc)
			require.Equal(t, typ, gotTyp)
			require.Equal(t, n, len(got))
			require.Equal(t, msg, got)

			go func() { errc <- sc.Write(ctx, typ, msg) }()
			gotTyp, got, err = cc.ReadInto(ctx, make([]byte, 0, 16))
			require.NoError(t, err)
			require.NoError(t, <-errc)
			require.Equal(t, typ, gotTyp)
			require.Equal(t, msg, got, "size %d", n)
		}
	}
}

func TestStreamingWriterFragments(t *testing.T) {
	cc, raw := rawServer(t, connConfig{})
	br := bufio.NewReader(raw)
	ctx := context.Background()
	w, err := cc.Writer(ctx, MessageText)
	require.NoError(t, err)
	for _, part := range []string{"hel", "lo ", "wor", "ld"} {
		_, err := io.WriteString(w, part)
		require.NoError(t, err)
	}
	require.NoError(t, w.Close())
	var got []byte
	for i := 0; ; i++ {
		h, p := readFrame(t, br)
		assert.True(t, h.Masked, "client frames must be masked (§5.3)")
		if i == 0 {
			assert.Equal(t, OpText, h.Opcode)
		} else {
			assert.Equal(t, OpContinuation, h.Opcode)
		}
		got = append(got, p...)
		if h.Fin {
			break
		}
	}
	assert.Equal(t, "hello world", string(got))
	_, err = w.Write([]byte("x"))
	assert.ErrorIs(t, err, errWriterClosed)
}

func TestStreamingWriterRefusesInvalidUTF8(t *testing.T) {
	cc, sc := connPair(t, connConfig{}, connConfig{})
	ctx := context.Background()
	w, err := cc.Writer(ctx, MessageText)
	require.NoError(t, err)
	_, err = w.Write([]byte("ok \xe2\x82"))
	require.NoError(t, err)
	_, err = w.Write([]byte("\xff"))
	require.ErrorIs(t, err, ErrInvalidUTF8)
	_, err = w.Write([]byte("\xac"))
	require.NoError(t, err)
	require.NoError(t, w.Close())
	_, got, err := sc.Read(ctx)
	require.NoError(t, err)
	assert.Equal(t, "ok €", string(got))

	assert.ErrorIs(t, cc.Write(ctx, MessageText, []byte{0xff}), ErrInvalidUTF8)
}

// Fragmented input with control frames in between (RFC 6455 §5.4, §5.5).
func TestReadFragmentsWithInterleavedControl(t *testing.T) {
	var pongs [][]byte
	cc, raw := rawServer(t, connConfig{onPong: func(p []byte) { pongs = append(pongs, bytes.Clone(p)) }})
	br := bufio.NewReader(raw)
	var stream []byte
	stream = append(stream, frameBytes(false, 0, OpText, false, []byte("fra"))...)
	stream = append(stream, frameBytes(true, 0, OpPing, false, []byte("p1"))...)
	stream = append(stream, frameBytes(false, 0, OpContinuation, false, nil)...)
	stream = append(stream, frameBytes(true, 0, OpPong, false, []byte("unsolicited"))...)
	stream = append(stream, frameBytes(true, 0, OpContinuation, false, []byte("gments"))...)
	_, err := raw.Write(stream)
	require.NoError(t, err)

	typ, got, err := cc.Read(context.Background())
	require.NoError(t, err)
	assert.Equal(t, MessageText, typ)
	assert.Equal(t, "fragments", string(got))
	assert.Equal(t, [][]byte{[]byte("unsolicited")}, pongs)

	h, p := readFrame(t, br)
	assert.Equal(t, OpPong, h.Opcode)
	assert.True(t, h.Masked)
	assert.Equal(t, "p1", string(p), "a pong must carry the ping's payload (§5.5.2)")
}

// A ping is answered while the application is in the middle of a message it
// reads slowly through Reader.
func TestPingAnsweredMidMessage(t *testing.T) {
	cc, raw := rawServer(t, connConfig{})
	br := bufio.NewReader(raw)
	_, err := raw.Write(frameBytes(false, 0, OpBinary, false, []byte("part one")))
	require.NoError(t, err)
	_, r, err := cc.Reader(context.Background())
	require.NoError(t, err)
	buf := make([]byte, 8)
	_, err = io.ReadFull(r, buf)
	require.NoError(t, err)

	_, err = raw.Write(frameBytes(true, 0, OpPing, false, []byte("are you there")))
	require.NoError(t, err)
	_, err = raw.Write(frameBytes(true, 0, OpContinuation, false, []byte("!")))
	require.NoError(t, err)
	rest, err := io.ReadAll(r)
	require.NoError(t, err)
	assert.Equal(t, "!", string(rest))
	h, p := readFrame(t, br)
	assert.Equal(t, OpPong, h.Opcode)
	assert.Equal(t, "are you there", string(p))
}

// violations lists one row per MUST of RFC 6455 that a server can break
// with a single stream of bytes, with the close code the client must fail
// with (§7.1.7, §7.4.1).
var violations = []struct {
	name   string
	stream [][]byte
	code   StatusCode
}{
	{"5.1 masked frame from server", [][]byte{frameBytes(true, 0, OpText, true, []byte("hi"))}, StatusProtocolError},
	{"5.2 RSV1 without extension", [][]byte{frameBytes(true, 4, OpText, false, []byte("hi"))}, StatusProtocolError},
	{"5.2 RSV2 without extension", [][]byte{frameBytes(true, 2, OpBinary, false, nil)}, StatusProtocolError},
	{"5.2 RSV3 on ping", [][]byte{frameBytes(true, 1, OpPing, false, nil)}, StatusProtocolError},
	{"5.2 reserved data opcode 3", [][]byte{frameBytes(true, 0, 3, false, nil)}, StatusProtocolError},
	{"5.2 reserved data opcode 7", [][]byte{frameBytes(true, 0, 7, false, nil)}, StatusProtocolError},
	{"5.2 reserved control opcode 0xB", [][]byte{frameBytes(true, 0, 0xb, false, nil)}, StatusProtocolError},
	{"5.2 reserved control opcode 0xF", [][]byte{frameBytes(true, 0, 0xf, false, nil)}, StatusProtocolError},
	{"5.2 64-bit length MSB set", [][]byte{{0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 0}}, StatusProtocolError},
	{"5.2 non-minimal length", [][]byte{{0x82, 126, 0, 5, 1, 2, 3, 4, 5}}, StatusProtocolError},
	{"5.4 continuation without start", [][]byte{frameBytes(true, 0, OpContinuation, false, []byte("x"))}, StatusProtocolError},
	{"5.4 new data frame inside fragmented message", [][]byte{
		frameBytes(false, 0, OpText, false, []byte("a")), frameBytes(true, 0, OpText, false, []byte("b"))}, StatusProtocolError},
	{"5.5 fragmented ping", [][]byte{frameBytes(false, 0, OpPing, false, nil)}, StatusProtocolError},
	{"5.5 ping over 125 bytes", [][]byte{frameBytes(true, 0, OpPing, false, make([]byte, 126))}, StatusProtocolError},
	{"5.5 close over 125 bytes", [][]byte{frameBytes(true, 0, OpClose, false, make([]byte, 126))}, StatusProtocolError},
	{"5.5.1 close with 1-byte payload", [][]byte{frameBytes(true, 0, OpClose, false, []byte{3})}, StatusProtocolError},
	{"7.4 close code 1005 on the wire", [][]byte{frameBytes(true, 0, OpClose, false, []byte{0x03, 0xed})}, StatusProtocolError},
	{"7.4 close code 999", [][]byte{frameBytes(true, 0, OpClose, false, []byte{0x03, 0xe7})}, StatusProtocolError},
	{"7.4 close code 2000", [][]byte{frameBytes(true, 0, OpClose, false, []byte{0x07, 0xd0})}, StatusProtocolError},
	{"8.1 close reason not UTF-8", [][]byte{frameBytes(true, 0, OpClose, false, []byte{0x03, 0xe8, 0xc0, 0xaf})}, StatusInvalidFramePayloadData},
	{"8.1 text not UTF-8", [][]byte{frameBytes(true, 0, OpText, false, []byte("bad \xff"))}, StatusInvalidFramePayloadData},
	{"8.1 text ends mid-rune", [][]byte{
		frameBytes(false, 0, OpText, false, []byte("\xe2\x82")), frameBytes(true, 0, OpContinuation, false, nil)}, StatusInvalidFramePayloadData},
	{"10.4 message over read limit in one header", [][]byte{{0x82, 127, 0, 0, 0, 0, 0x7f, 0, 0, 0}}, StatusMessageTooBig},
	{"10.4 message over read limit across fragments", [][]byte{
		frameBytes(false, 0, OpBinary, false, make([]byte, 600)), frameBytes(true, 0, OpContinuation, false, make([]byte, 600))}, StatusMessageTooBig},
}

func TestProtocolViolationsFailWithRFCCode(t *testing.T) {
	for _, tc := range violations {
		t.Run(tc.name, func(t *testing.T) {
			cc, raw := rawServer(t, connConfig{readLimit: 1024})
			for _, b := range tc.stream {
				_, err := raw.Write(b)
				require.NoError(t, err)
			}
			_, _, err := cc.Read(context.Background())
			var pe *ProtocolError
			require.ErrorAs(t, err, &pe, "got %v", err)
			assert.Equal(t, tc.code, pe.Code, "got %v", err)
			assert.Equal(t, tc.code, CloseStatus(err))

			// The client tells the server why, in a masked close frame.
			expectClose(t, bufio.NewReader(raw), tc.code)

			// The connection is over: later calls say so, with the cause.
			<-cc.Done()
			_, _, err = cc.Read(context.Background())
			assert.ErrorIs(t, err, ErrClosed)
			assert.ErrorAs(t, err, &pe)
			assert.ErrorIs(t, cc.Write(context.Background(), MessageText, []byte("x")), ErrClosed)
		})
	}
}

// Invalid UTF-8 fails the connection on the first bad fragment, without
// waiting for the rest of the message (RFC 6455 §8.1, Autobahn 6.4).
func TestInvalidUTF8FailsFast(t *testing.T) {
	cc, raw := rawServer(t, connConfig{})
	_, err := raw.Write(frameBytes(false, 0, OpText, false, []byte("κόσμε\xed\xa0")))
	require.NoError(t, err)
	// The server never sends the rest; Read must not wait for it. A client
	// that did would wait forever: the deadline turns that into a failure.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _, err = cc.Read(ctx)
	var pe *ProtocolError
	require.ErrorAs(t, err, &pe, "got %v, want a *ProtocolError", err)
	assert.Equal(t, StatusInvalidFramePayloadData, pe.Code, "got %v", err)

	// The client tells the server why, in a masked close frame; the raw
	// read has a deadline too, so a missing frame fails instead of hanging.
	require.NoError(t, raw.SetReadDeadline(time.Now().Add(5*time.Second)))
	expectClose(t, bufio.NewReader(raw), StatusInvalidFramePayloadData)
}

// The read limit is enforced from the header, before the payload arrives
// or any buffer is sized for it.
func TestReadLimitBeforeAllocation(t *testing.T) {
	cc, raw := rawServer(t, connConfig{})
	// Announce 1 GiB, send nothing more.
	_, err := raw.Write([]byte{0x82, 127, 0, 0, 0, 0, 0x40, 0, 0, 0})
	require.NoError(t, err)
	_, _, err = cc.Read(context.Background())
	assert.Equal(t, StatusMessageTooBig, CloseStatus(err))
}

func TestSetReadLimit(t *testing.T) {
	cc, sc := connPair(t, connConfig{}, connConfig{})
	sc.SetReadLimit(10)
	ctx := context.Background()
	require.NoError(t, cc.Write(ctx, MessageBinary, make([]byte, 10)))
	_, _, err := sc.Read(ctx)
	require.NoError(t, err)
	require.NoError(t, cc.Write(ctx, MessageBinary, make([]byte, 11)))
	_, _, err = sc.Read(ctx)
	assert.Equal(t, StatusMessageTooBig, CloseStatus(err))
}

// A peer that claims a large message and trickles it in does not make the
// reader allocate the claimed size up front.
func TestReadGrowsWithArrivedBytes(t *testing.T) {
	big := frameBytes(true, 0, OpBinary, false, make([]byte, 8<<20))
	mc := &memConn{in: io.MultiReader(bytes.NewReader(big[:100]), errReader{io.ErrUnexpectedEOF})}
	c := newConn(connConfig{nc: mc, client: true})
	_, buf, err := c.ReadInto(context.Background(), nil)
	require.Error(t, err)
	assert.LessOrEqual(t, cap(buf), 64<<10, "buffer sized by the claim, not the bytes")
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// EOF or reset without a close frame surfaces as 1006 (§7.1.5).
func TestAbnormalClosure(t *testing.T) {
	cc, raw := rawServer(t, connConfig{})
	require.NoError(t, raw.Close())
	_, _, err := cc.Read(context.Background())
	var ce *CloseError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, StatusAbnormalClosure, ce.Code)
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
}

// The client starts the closing handshake (§7.1.2) and the server echoes.
func TestCloseHandshakeClientFirst(t *testing.T) {
	cc, sc := connPair(t, connConfig{}, connConfig{})
	readErr := make(chan error, 1)
	go func() {
		_, _, err := sc.Read(context.Background())
		readErr <- err
	}()
	require.NoError(t, cc.Close(StatusNormalClosure, "done"))
	err := <-readErr
	var ce *CloseError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, StatusNormalClosure, ce.Code)
	assert.Equal(t, "done", ce.Reason)
	<-cc.Done()
	<-sc.Done()
	assert.ErrorIs(t, cc.Write(context.Background(), MessageText, nil), ErrClosed)
	assert.NoError(t, cc.Close(StatusNormalClosure, ""), "Close is idempotent")
}

// The server starts it; the client echoes the code and ends the connection.
func TestCloseHandshakeServerFirst(t *testing.T) {
	cc, raw := rawServer(t, connConfig{})
	_, err := raw.Write(frameBytes(true, 0, OpClose, false, append([]byte{0x03, 0xf4}, "restart"...)))
	require.NoError(t, err)
	_, _, err = cc.Read(context.Background())
	var ce *CloseError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, StatusServiceRestart, ce.Code)
	assert.Equal(t, "restart", ce.Reason)
	h, p := readFrame(t, bufio.NewReader(raw))
	assert.Equal(t, OpClose, h.Opcode)
	assert.Equal(t, []byte{0x03, 0xf4}, p, "the client echoes the code")
}

// A close frame with no status (1005 locally) is echoed with no status:
// 1005 itself never goes on the wire (§7.4.1).
func TestCloseEmptyEchoedEmpty(t *testing.T) {
	cc, raw := rawServer(t, connConfig{})
	_, err := raw.Write(frameBytes(true, 0, OpClose, false, nil))
	require.NoError(t, err)
	_, _, err = cc.Read(context.Background())
	assert.Equal(t, StatusNoStatusReceived, CloseStatus(err))
	h, p := readFrame(t, bufio.NewReader(raw))
	assert.Equal(t, OpClose, h.Opcode)
	assert.Empty(t, p)
}

func TestCloseRefusesUnsendableCodes(t *testing.T) {
	cc, _ := connPair(t, connConfig{}, connConfig{})
	for _, code := range []StatusCode{StatusNoStatusReceived, StatusAbnormalClosure, StatusTLSHandshake, 999, 1004, 2000, 5000} {
		assert.ErrorIs(t, cc.Close(code, ""), errBadCloseArgs, "code %d", code)
	}
	assert.ErrorIs(t, cc.Close(StatusNormalClosure, strings.Repeat("x", 124)), errBadCloseArgs)
	assert.ErrorIs(t, cc.Close(StatusNormalClosure, "\xff"), errBadCloseArgs)
	assert.NoError(t, cc.Err(), "a refused Close leaves the connection open")
}

// Close with no one reading still completes: Close reads the echo itself.
func TestCloseWithNoReader(t *testing.T) {
	cc, sc := connPair(t, connConfig{}, connConfig{})
	done := make(chan error, 1)
	go func() {
		// The server reads, sees the close, echoes it.
		_, _, err := sc.Read(context.Background())
		done <- err
	}()
	start := time.Now()
	require.NoError(t, cc.Close(StatusGoingAway, ""))
	assert.Equal(t, StatusGoingAway, CloseStatus(<-done))
	// Close returned on the echo, not on the timeout (generous bound).
	assert.Less(t, time.Since(start), DefaultCloseTimeout)
}

// A peer that never answers the close frame costs at most the close timeout.
func TestCloseTimeout(t *testing.T) {
	cc, _ := rawServer(t, connConfig{closeTimeout: 50 * time.Millisecond})
	require.ErrorIs(t, cc.Close(StatusNormalClosure, ""), ErrCloseIncomplete)
	<-cc.Done()
}

// A reader that stops while Close waits hands the reading over to Close,
// which then completes on the echo instead of waiting out the timeout.
func TestCloseTakesOverFromStoppedReader(t *testing.T) {
	cc, sc := connPair(t, connConfig{}, connConfig{})
	readerOut := make(chan error, 1)
	go func() {
		_, _, err := cc.Read(context.Background()) // one message, then it stops reading
		readerOut <- err
	}()
	// Close must find the reader inside Read, holding the read side; were
	// Close first, it would read (and discard) the message itself.
	for !cc.rd.sem.held.Load() {
		runtime.Gosched()
	}
	serverDone := make(chan error, 1)
	go func() {
		// Sent after the client's close frame may already be on its way:
		// the client's reader takes this message and leaves.
		if err := sc.Write(context.Background(), MessageText, []byte("last")); err != nil {
			serverDone <- err
			return
		}
		_, _, err := sc.Read(context.Background())
		serverDone <- err
	}()
	start := time.Now()
	require.NoError(t, cc.Close(StatusNormalClosure, "bye"))
	assert.Less(t, time.Since(start), DefaultCloseTimeout, "Close waited out its timeout")
	require.NoError(t, <-readerOut)
	assert.Equal(t, StatusNormalClosure, CloseStatus(<-serverDone))
}

func TestCloseNow(t *testing.T) {
	cc, sc := connPair(t, connConfig{}, connConfig{})
	require.NoError(t, cc.CloseNow())
	require.NoError(t, cc.CloseNow())
	_, _, err := sc.Read(context.Background())
	assert.Equal(t, StatusAbnormalClosure, CloseStatus(err))
}

// Cancelling a read that waits for a message aborts that call only
// (style rule 4); the connection keeps working.
func TestReadCancelAtBoundaryKeepsConn(t *testing.T) {
	cc, sc := connPair(t, connConfig{}, connConfig{})
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, _, err := cc.Read(ctx)
		errc <- err
	}()
	cancel()
	assert.ErrorIs(t, <-errc, context.Canceled)
	require.NoError(t, cc.Err())

	require.NoError(t, sc.Write(context.Background(), MessageText, []byte("still here")))
	_, got, err := cc.Read(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "still here", string(got))
}

func TestReadDeadlineFromContext(t *testing.T) {
	cc, _ := connPair(t, connConfig{}, connConfig{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, _, err := cc.Read(ctx)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.NoError(t, cc.Err())
}

// A write that cannot finish (the peer stopped reading, TCP window full)
// fails the connection after the write timeout: the supervisor's stall
// detection relies on it.
func TestWriteTimeoutDetectsStall(t *testing.T) {
	cc, _ := connPair(t, connConfig{writeTimeout: 50 * time.Millisecond}, connConfig{})
	big := make([]byte, 1<<20)
	var err error
	for i := 0; i < 1000 && err == nil; i++ {
		err = cc.Write(context.Background(), MessageBinary, big)
	}
	var ce *CloseError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, StatusAbnormalClosure, ce.Code)
	<-cc.Done()
}

func TestWriteWaitCancelled(t *testing.T) {
	cc, _ := connPair(t, connConfig{}, connConfig{})
	w, err := cc.Writer(context.Background(), MessageBinary)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- cc.Write(ctx, MessageBinary, []byte("waits for the writer")) }()
	cancel()
	assert.ErrorIs(t, <-errc, context.Canceled)
	require.NoError(t, w.Close())
	assert.NoError(t, cc.Err())
}

func TestPingPong(t *testing.T) {
	pong := make(chan []byte, 1)
	cc, sc := connPair(t, connConfig{onPong: func(p []byte) { pong <- bytes.Clone(p) }}, connConfig{})
	go func() { _, _, _ = sc.Read(context.Background()) }() // answers pings
	go func() { _, _, _ = cc.Read(context.Background()) }() // sees pongs
	require.NoError(t, cc.Ping(context.Background(), []byte("rtt-1")))
	assert.Equal(t, "rtt-1", string(<-pong))
	assert.ErrorIs(t, cc.Ping(context.Background(), make([]byte, 126)), errControlTooLong)
}

func TestWriteBufferedFlush(t *testing.T) {
	cc, sc := connPair(t, connConfig{}, connConfig{})
	ctx := context.Background()
	for i := range 100 {
		require.NoError(t, cc.WriteBuffered(ctx, MessageBinary, []byte{byte(i)}))
	}
	require.NoError(t, cc.Flush(ctx))
	for i := range 100 {
		_, got, err := sc.Read(ctx)
		require.NoError(t, err)
		require.Equal(t, []byte{byte(i)}, got)
	}
}

func TestBadMessageType(t *testing.T) {
	cc, _ := connPair(t, connConfig{}, connConfig{})
	assert.ErrorIs(t, cc.Write(context.Background(), MessageType(9), nil), errBadMessageType)
	_, err := cc.Writer(context.Background(), MessageType(0))
	assert.ErrorIs(t, err, errBadMessageType)
}

func TestErrorsFormat(t *testing.T) {
	err := error(&CloseError{Code: StatusGoingAway, Reason: "bye"})
	assert.Equal(t, StatusGoingAway, CloseStatus(fmtWrap(err)))
	assert.Equal(t, StatusCode(-1), CloseStatus(errors.New("other")))
	assert.Equal(t, "GoingAway", StatusGoingAway.String())
	assert.Equal(t, "StatusCode(4001)", StatusCode(4001).String())
	assert.Equal(t, "Text", MessageText.String())
}

func fmtWrap(err error) error { return &closedError{cause: err} }
