//go:build unix

package transport

import (
	"errors"
	"syscall"
)

// rawReader makes one read system call on a socket, which the runtime
// keeps non-blocking, for TryReadInto (readBuffer.fillNow). Its function
// for syscall.RawConn.Read is made once, with the reader: a closure made
// at each call escapes through the interface and cost an allocation a
// buffer's fill.
type rawReader struct {
	rc  syscall.RawConn
	b   []byte
	n   int
	err error
	fn  func(fd uintptr) bool
}

func newRawReader(rc syscall.RawConn) *rawReader {
	r := &rawReader{rc: rc}
	r.fn = func(fd uintptr) bool {
		r.n, r.err = syscall.Read(int(fd), r.b)
		return true // never wait here: the ordinary read waits, under its deadlines
	}
	return r
}

// read reads into b and returns how many bytes it brought. It never
// waits: with nothing waiting it returns 0. It returns an error only for
// a failure the socket reports once (a reset): the end of the stream,
// and a socket closed under it, are there again for the ordinary read to
// find, so it returns 0 for them.
func (r *rawReader) read(b []byte) (int, error) {
	r.b = b
	cerr := r.rc.Read(r.fn)
	n, err := r.n, r.err
	r.b, r.err = nil, nil
	switch {
	case cerr != nil, errors.Is(err, syscall.EAGAIN), n <= 0 && err == nil:
		return 0, nil
	case err != nil:
		return 0, err
	}
	return n, nil
}
