package transport

import (
	"syscall"
	"unsafe"
)

// unacked returns how many bytes the kernel holds in the send queue of rc
// that the peer has not acknowledged yet (SIOCOUTQ: written but unsent,
// plus sent but unacknowledged), or false if it cannot tell.
func unacked(rc syscall.RawConn) (uint64, bool) {
	var n int32
	var errno syscall.Errno
	err := rc.Control(func(fd uintptr) {
		_, _, errno = syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCOUTQ, uintptr(unsafe.Pointer(&n)))
	})
	if err != nil || errno != 0 || n < 0 {
		return 0, false
	}
	return uint64(n), true
}
