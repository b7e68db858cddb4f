//go:build !unix

package transport

import "syscall"

// writeNow is not tried here: every write waits under its deadlines.
func writeNow(syscall.RawConn, []byte) int { return 0 }
