package transport

import (
	"compress/flate"
	"errors"
	"io"
)

// deflateWindow is the largest DEFLATE window: what a decompressor must
// remember of earlier messages when the peer takes its context over.
const deflateWindow = 1 << maxWindowBits

// deflateTail is the end of the empty stored block that a sync flush
// writes; senders strip it from every message and receivers put it back
// (RFC 7692 §7.2.1, §7.2.2).
var deflateTail = [4]byte{0x00, 0x00, 0xff, 0xff}

// inflateTail is what the receiver appends to a message: deflateTail,
// then an empty final stored block, so that a message whose blocks are all
// complete ends the DEFLATE stream there (the decompressor returns
// io.EOF), while one cut off inside a block makes the decompressor ask for
// more than the message holds.
var inflateTail = [9]byte{0x00, 0x00, 0xff, 0xff, 0x01, 0x00, 0x00, 0xff, 0xff}

// errMessageEnd is what the decompressor's source returns once a
// message's payload and the tail are used up. A decompressor that asks for
// more input then was reading a block the message cut short: the data is
// invalid (1007), not a shorter message.
var errMessageEnd = errors.New("end of compressed message")

// inflater decompresses the messages of one connection. It is created on
// the first compressed message, and reused for all that follow, so that
// steady-state messages allocate nothing.
//
// compress/flate's decompressor has no way to say "this message is over,
// keep the window": once its source ends, its error sticks. So each
// message starts with Reset, which takes a dictionary; when the peer uses
// context takeover, the inflater keeps the last 32 KiB of output to hand
// back. The source never reads past the message, so nothing is lost
// between messages.
type inflater struct {
	fr   io.ReadCloser // compress/flate's decompressor; also a flate.Resetter
	src  inflateSource
	keep bool   // the peer takes its context over: remember the window
	dict []byte // the latest output, up to 2*deflateWindow, when keep
	eof  bool   // the decompressor has finished this message
}

func newInflater(r *reader, keep bool) *inflater {
	z := &inflater{keep: keep}
	z.src.r = r
	z.src.buf = make([]byte, 0, 2048)
	if keep {
		z.dict = make([]byte, 0, 2*deflateWindow)
	}
	z.fr = flate.NewReader(&z.src)
	return z
}

// begin prepares for a new compressed message whose first frame the
// reader has just started.
func (z *inflater) begin() {
	z.src.reset()
	z.eof = false
	var dict []byte
	if z.keep {
		dict = z.dict[max(0, len(z.dict)-deflateWindow):]
	}
	// Reset on compress/flate's decompressor never fails.
	_ = z.fr.(flate.Resetter).Reset(&z.src, dict)
}

// read decompresses into p. It returns io.EOF once the message is over,
// and otherwise the decompressor's or the network's error.
func (z *inflater) read(p []byte) (int, error) {
	if z.eof {
		return 0, io.EOF
	}
	n, err := z.fr.Read(p)
	if n > 0 && z.keep {
		z.remember(p[:n])
	}
	switch {
	case err == nil:
		return n, nil
	case err == errMessageEnd:
		// The message ended inside a DEFLATE block.
		z.eof = true
		return n, io.ErrUnexpectedEOF
	case err == io.EOF:
		// A block with BFINAL set ended the DEFLATE stream: normally the
		// final block of the tail appended here; a peer's own final
		// block is allowed too (§7.2.3.4), and what follows it in the
		// message is ignored, as zlib-based peers do.
		z.eof = true
		if derr := z.src.drain(); derr != nil {
			return n, derr
		}
		return n, io.EOF
	}
	return n, err
}

// remember appends output to the window kept for the next message,
// moving the last deflateWindow bytes to the front when the buffer fills.
func (z *inflater) remember(p []byte) {
	if len(p) >= deflateWindow {
		z.dict = append(z.dict[:0], p[len(p)-deflateWindow:]...)
		return
	}
	if len(z.dict)+len(p) > cap(z.dict) {
		keep := deflateWindow - len(p)
		z.dict = z.dict[:copy(z.dict, z.dict[len(z.dict)-keep:])]
	}
	z.dict = append(z.dict, p...)
}

// inflateSource feeds the decompressor one message: the payload of its
// frames, read through the reader (which handles continuation and
// interleaved control frames), then inflateTail, then errMessageEnd. It
// is a flate.Reader (it has ReadByte), so the decompressor reads from it
// directly, without a bufio.Reader that could read ahead into the next
// message.
type inflateSource struct {
	r    *reader
	buf  []byte // payload read but not yet consumed: buf[off:]
	off  int
	tail int  // bytes of inflateTail already served
	wire bool // the payload is used up (then the tail comes)
}

func (s *inflateSource) reset() {
	s.buf = s.buf[:0]
	s.off = 0
	s.tail = 0
	s.wire = false
}

// fill makes buffered bytes available, or returns the error that ends
// the input: errMessageEnd after the tail, or the reader's failure.
func (s *inflateSource) fill() error {
	if s.off < len(s.buf) {
		return nil
	}
	for !s.wire {
		n, err := s.r.payload(s.buf[:cap(s.buf)])
		s.buf, s.off = s.buf[:n], 0
		if err == io.EOF {
			s.wire = true
		} else if err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
	}
	if s.tail < len(inflateTail) {
		s.buf = append(s.buf[:0], inflateTail[s.tail:]...)
		s.off = 0
		s.tail = len(inflateTail)
		return nil
	}
	return errMessageEnd
}

func (s *inflateSource) ReadByte() (byte, error) {
	if err := s.fill(); err != nil {
		return 0, err
	}
	c := s.buf[s.off]
	s.off++
	return c, nil
}

func (s *inflateSource) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if err := s.fill(); err != nil {
		return 0, err
	}
	n := copy(p, s.buf[s.off:])
	s.off += n
	return n, nil
}

// drain reads and drops the rest of the message's payload.
func (s *inflateSource) drain() error {
	for !s.wire {
		s.off = len(s.buf)
		if err := s.fill(); err != nil {
			if err == errMessageEnd {
				return nil
			}
			return err
		}
	}
	return nil
}

// rsv1 is the RSV1 bit as Header.Rsv holds it: permessage-deflate's
// "this message is compressed" (RFC 7692 §6).
const rsv1 = 0x4

// rsvProblem says what is wrong with a header that has reserved bits set,
// or "" when they are legal: RSV1 alone, on the first frame of a data
// message, with permessage-deflate negotiated (RFC 7692 §6, §6.1).
func (r *reader) rsvProblem(h Header) string {
	switch {
	case h.Rsv != rsv1 || r.deflate == nil:
		// RFC 6455 §5.2: bits no extension negotiated must be 0.
		return "reserved bits set with no extension negotiated"
	case h.Opcode.IsControl():
		return "RSV1 set on a control frame"
	case h.Opcode == OpContinuation:
		return "RSV1 set on a continuation frame"
	}
	return ""
}

// compressedLimit is the most wire bytes a compressed message whose
// content fits limit can take: DEFLATE's stored blocks add 5 bytes per
// 64 KiB to incompressible data, so 1/1024 plus a little is ample. The
// real check is on the decompressed size, in inflate; this one only stops
// a peer from announcing more than that could ever need.
func compressedLimit(limit int64) int64 {
	return limit + limit>>10 + 64
}

// beginInflate starts decompressing the message whose first frame was
// just read.
func (r *reader) beginInflate() {
	if r.z == nil {
		r.z = newInflater(r, r.deflate.peerTakesOver(r.c.client))
	}
	r.inflated = 0
	r.z.begin()
}

// inflate reads decompressed bytes of the current message into p. The
// read limit applies to the decompressed size and is enforced here, while
// inflating: p is cut to what the limit leaves, so a small frame that
// inflates without end costs no more than the limit, and the first byte
// past it fails the connection with 1009. Corrupt DEFLATE data fails it
// with 1007.
func (r *reader) inflate(p []byte) (int, error) {
	if room := r.outLimit - r.inflated; int64(len(p)) > room {
		// With no room left, still read one byte: that tells a message
		// that ends exactly at the limit from one that goes past it.
		p = p[:max(room, 1)]
	}
	n, err := r.z.read(p)
	r.inflated += int64(n)
	if r.inflated > r.outLimit {
		return 0, r.fail(StatusMessageTooBig, "message over the read limit once decompressed")
	}
	if err == nil || err == io.EOF {
		return n, err
	}
	var ce flate.CorruptInputError
	var ie flate.InternalError
	if errors.As(err, &ce) || errors.As(err, &ie) || err == io.ErrUnexpectedEOF {
		return 0, r.fail(StatusInvalidFramePayloadData, "invalid compressed data")
	}
	// The reader already failed the connection (network or protocol).
	return n, err
}
