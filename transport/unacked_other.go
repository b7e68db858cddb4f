//go:build !linux

package transport

import "syscall"

// unacked cannot tell on this platform: WriteProgress falls back to
// BytesWritten.
func unacked(syscall.RawConn) (uint64, bool) { return 0, false }
