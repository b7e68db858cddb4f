package queue

import (
	"context"
	"strconv"
	"time"
)

// Queue is the session's outbound queue as the client supervisor sees it.
// The in-memory [Memory] and the durable [File] both satisfy it, so the
// supervisor's writer, replay and ack paths do not care which one the
// program chose.
//
// Many goroutines may Push at once. Next, TryNext and Rewind belong to a
// single consumer goroutine (the writer). Ack, AckThrough, Len, Close and
// Drain may be called from any goroutine.
//
// A payload handed out by Next or TryNext stays valid and unmodified,
// whatever acks arrive, until the consumer's next call to Next, TryNext or
// Rewind (or Drain after the consumer stopped) — and after that for as
// long as the entry is still held (not acknowledged or dropped). So an ack
// that overtakes the writer (a server acknowledging cumulatively ahead of
// what it received) never lets a Push reuse bytes the writer is sending.
// Acks for entries not yet handed out, or beyond anything pushed, are
// legal: the entries they name leave the queue and are never handed out.
type Queue interface {
	// Push copies m into the queue and returns the sequence number it was
	// given. When the queue is full it follows the overflow [Policy].
	// Safe for concurrent use.
	Push(ctx context.Context, m Message) (seq uint64, err error)

	// Next returns the entry at the cursor and moves the cursor past it,
	// waiting until there is one, ctx is done or the queue is closed. The
	// entry stays in the queue until it is acknowledged. Consumer only.
	Next(ctx context.Context) (Entry, error)

	// TryNext is Next without waiting: ok is false when no entry is ready or
	// the queue is closed. Consumer only.
	TryNext() (e Entry, ok bool)

	// Ack removes the entry with sequence number seq, if it is still held.
	// Safe for concurrent use.
	Ack(seq uint64) error

	// AckThrough removes every entry whose sequence number is at most seq.
	// Safe for concurrent use.
	AckThrough(seq uint64) error

	// Rewind moves the cursor back to the oldest unacknowledged entry, so
	// that Next replays everything still held. Consumer only.
	Rewind()

	// Len reports how many entries the queue holds and their payload bytes,
	// handed out or not. Safe for concurrent use.
	Len() (messages int, bytes int64)

	// Close wakes every blocked Push and Next with ErrClosed and refuses
	// new work. Entries stay until Drain. Safe for concurrent use;
	// idempotent.
	Close() error

	// Drain removes every entry and passes each to fn, oldest first.
	// Safe for concurrent use, but the consumer must have stopped.
	Drain(fn func(Entry)) error
}

// MessageType is the kind of a queued message. The queue carries it and
// never interprets it; the client stores the WebSocket opcode (1 for text,
// 2 for binary) so that this package need not import the transport.
type MessageType uint8

// Message is what a producer hands to Push.
type Message struct {
	Type MessageType

	// Payload is copied by Push; the caller may reuse it as soon as Push
	// returns.
	Payload []byte

	// MaxAge is how long after Push is called the message may still be
	// handed out; after that it is dropped as expired instead of being sent
	// late. Zero or negative means no limit.
	MaxAge time.Duration

	// Stamp, when set, is called by Push with the sequence number the
	// message is given and the queue's own copy of the payload, before the
	// entry can be handed out (and, for a File, before its record is
	// written), so the program can write the number into the payload:
	// atomic with the push, whatever other goroutines push meanwhile, and
	// before any acknowledgement of that number can arrive. It may change
	// the payload's bytes, not its length. It runs with the queue's lock
	// held, on the goroutine that called Push: it must be quick, must not
	// call the queue, and must not panic. It is not called for a message
	// that is refused or dropped as it arrives.
	Stamp func(seq uint64, payload []byte)
}

// Entry is a message held by a queue.
type Entry struct {
	// Seq is the position of the message in the session's order: 1 for the
	// first message pushed into a queue, then one more for each message the
	// queue accepts. An entry discarded by DropNewest was never accepted and
	// carries 0.
	Seq uint64

	Type MessageType

	// Payload is owned by the queue and must not be modified. A payload
	// handed out by Next or TryNext stays valid and unmodified, whatever
	// acks arrive, until the consumer's next call to Next, TryNext or
	// Rewind (or Drain after the consumer stopped) — and after that for as
	// long as the entry is still held (not acknowledged or dropped). In an
	// OnDrop callback or Drain's function it is valid only during the call.
	Payload []byte

	// Enqueued is when Push was called, by Options.Now; a message's
	// maximum age includes any time Push spent waiting for room.
	Enqueued time.Time

	// Deadline is Enqueued plus Message.MaxAge; zero when there is none.
	Deadline time.Time

	// InDoubt is true on an entry that an earlier opening of the same
	// directory marked with File.MarkSending and that was not
	// acknowledged: it may have reached the peer. Always false from a
	// Memory queue.
	InDoubt bool
}

// Expired reports whether e's deadline has been reached at now. An entry is
// expired at its deadline, not after it, so a MaxAge is a strict bound.
func (e Entry) Expired(now time.Time) bool {
	return !e.Deadline.IsZero() && !now.Before(e.Deadline)
}

// Policy decides what Push does when the queue is full.
type Policy int

const (
	// Block makes Push wait, bounded by its context, until there is room.
	// It is the default because it loses nothing.
	Block Policy = iota

	// Reject makes Push return ErrQueueFull; the message is left to the
	// caller, so it is not reported to OnDrop.
	Reject

	// DropOldest evicts the oldest entries not yet handed out until the new
	// message fits, reporting each as ReasonOverflowOldest. Entries the
	// consumer holds are never evicted; when evicting every other entry
	// would still not make room, the new message is dropped as with
	// DropNewest.
	DropOldest

	// DropNewest discards the new message, reports it as
	// ReasonOverflowNewest and makes Push return ErrDropped.
	DropNewest
)

var policyNames = [...]string{"Block", "Reject", "DropOldest", "DropNewest"}

// String returns the constant's name.
func (p Policy) String() string {
	if p >= 0 && int(p) < len(policyNames) {
		return policyNames[p]
	}
	return "Policy(" + strconv.Itoa(int(p)) + ")"
}

// DropReason says why an entry left the queue without being acknowledged.
// The zero value is not a reason, so a forgotten assignment shows up.
type DropReason int

const (
	// ReasonExpired: the entry reached its deadline before it was ever
	// handed out: it was never sent.
	ReasonExpired DropReason = iota + 1

	// ReasonOverflowOldest: the DropOldest policy evicted the entry to make
	// room for a newer one.
	ReasonOverflowOldest

	// ReasonOverflowNewest: the queue was full and the new message was
	// discarded (DropNewest, or DropOldest with nothing it may evict).
	ReasonOverflowNewest

	// ReasonClosed: Drain was called without a function, so the entries
	// still held are reported here instead.
	ReasonClosed

	// ReasonExpiredUnacked: the entry reached its deadline after it had
	// been handed out at least once (then rewound, unacknowledged), or
	// after an earlier run of a File marked it with MarkSending: it may
	// have reached the peer, but was never acknowledged.
	ReasonExpiredUnacked
)

var reasonNames = [...]string{"", "Expired", "OverflowOldest", "OverflowNewest", "Closed", "ExpiredUnacked"}

// String returns the reason without its prefix, e.g. "Expired".
func (r DropReason) String() string {
	if r > 0 && int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return "DropReason(" + strconv.Itoa(int(r)) + ")"
}

// Defaults for the zero fields of Options.
const (
	DefaultMaxMessages = 10_000
	DefaultMaxBytes    = 64 << 20
)

// Options configures a queue. The zero value is ready to use.
type Options struct {
	// MaxMessages bounds the entries held, handed out or not.
	// Zero or negative means DefaultMaxMessages; more than 1<<30 means
	// 1<<30 (1<<29 - 1 where int has 32 bits).
	MaxMessages int

	// MaxBytes bounds the payload bytes held, handed out or not; a single
	// message larger than this is refused with *TooLargeError.
	// Zero or negative means DefaultMaxBytes.
	MaxBytes int64

	// Overflow is what Push does when the queue is full. Default Block;
	// a value that is not a Policy constant also means Block.
	Overflow Policy

	// OnDrop, when set, is told about every entry that leaves the queue
	// without being acknowledged, with the reason. It is called without any
	// queue lock held, so it may call the queue, one call at a time, in the
	// order the drops happened, on the goroutine of whichever call caused
	// the drop (the expiry timer's, for an entry that expired while
	// pending) or of a concurrent call that was already reporting; so a
	// Push may return before its drop has been reported. It must not
	// panic or block for long: other drops wait behind it.
	OnDrop func(Entry, DropReason)

	// Now is the clock for Enqueued, deadlines and expiry. Default
	// time.Now; tests inject a fake clock.
	Now func() time.Time

	// afterFunc starts the expiry timer; default time.AfterFunc. Tests
	// of this package drive it from their fake clock.
	afterFunc func(time.Duration, func()) timer
}
