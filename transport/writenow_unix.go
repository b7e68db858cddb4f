//go:build unix

package transport

import "syscall"

// rawWriter makes one write system call on a socket, which the runtime
// keeps non-blocking, for a lone control frame (writer.tryWrite). It lives
// in the writer and is used under the frame lock. Its function for
// syscall.RawConn.Write is made once, at the first use: a closure made at
// each call escapes through the interface, and cost every ping and pong
// two allocations.
type rawWriter struct {
	b  []byte
	n  int
	fn func(fd uintptr) bool
}

// write writes b on rc's socket and returns how much it took: 0 when it
// would have had to wait, or failed (the caller's ordinary write then
// meets the error).
func (w *rawWriter) write(rc syscall.RawConn, b []byte) int {
	if w.fn == nil {
		w.fn = func(fd uintptr) bool {
			w.n, _ = syscall.Write(int(fd), w.b)
			return true // never wait here: the caller waits, under its deadlines
		}
	}
	w.b, w.n = b, 0
	_ = rc.Write(w.fn)
	n := w.n
	w.b = nil
	return max(n, 0)
}
