//go:build !unix

package transport

import "syscall"

// rawReader brings nothing where a non-blocking read of the socket is
// not written: TryReadInto then takes only what is already buffered.
type rawReader struct{}

func newRawReader(syscall.RawConn) *rawReader { return nil }

func (*rawReader) read([]byte) (int, error) { return 0, nil }
