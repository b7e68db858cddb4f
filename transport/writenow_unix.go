//go:build unix

package transport

import "syscall"

// writeNow makes one write system call of b on rc's socket, which the
// runtime keeps non-blocking, and returns how much it took: 0 when it
// would have had to wait, or failed (the caller's ordinary write then
// meets the error).
func writeNow(rc syscall.RawConn, b []byte) int {
	n := 0
	_ = rc.Write(func(fd uintptr) bool {
		n, _ = syscall.Write(int(fd), b)
		return true // never wait here: the caller waits, under its deadlines
	})
	return max(n, 0)
}
