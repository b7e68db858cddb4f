package queue

import (
	"errors"
	"strconv"
)

var (
	// ErrClosed is returned by every call but Len, Close and Drain once the
	// queue is closed, including calls that were blocked in Push or Next.
	ErrClosed = errors.New("queue: closed")

	// ErrQueueFull is returned by Push under the Reject policy when the
	// message does not fit. The message was not queued and is still the
	// caller's.
	ErrQueueFull = errors.New("queue: full")

	// ErrDropped is returned by Push when the queue was full and the new
	// message was discarded by the DropNewest policy (or by DropOldest with
	// nothing it may evict). Unlike ErrQueueFull, the drop has also been
	// reported to Options.OnDrop, so a caller that counts drops there may
	// ignore it.
	ErrDropped = errors.New("queue: message dropped, queue full")
)

// TooLargeError is returned by Push for a message that could never fit,
// whatever the queue held: its payload alone is larger than MaxBytes.
type TooLargeError struct {
	Size  int   // payload bytes of the refused message
	Limit int64 // the queue's MaxBytes
}

func (e *TooLargeError) Error() string {
	return "queue: message of " + strconv.Itoa(e.Size) + " bytes exceeds the limit of " +
		strconv.FormatInt(e.Limit, 10) + " bytes"
}
