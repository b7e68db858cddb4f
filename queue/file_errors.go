package queue

import "errors"

// ErrLocked is matched (with errors.Is) by the error OpenFile returns for
// a directory that another File holds, in this process or another.
var ErrLocked = errors.New("queue: directory locked by another writer")

// LockedError is returned by OpenFile when another live File, in this
// process or another, holds the directory: one writer per directory, or
// two processes would interleave records and acknowledge each other's
// messages. The lock is released when that File is closed or its process
// dies.
type LockedError struct {
	Dir string
}

func (e *LockedError) Error() string {
	return "queue: directory " + e.Dir + " is locked by another writer (a live process or an open File)"
}

// Unwrap returns ErrLocked.
func (e *LockedError) Unwrap() error { return ErrLocked }
