//go:build !unix

package transport

import "syscall"

// rawWriter is not tried here: every write waits under its deadlines.
type rawWriter struct{}

func (*rawWriter) write(syscall.RawConn, []byte) int { return 0 }
