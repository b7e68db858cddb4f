// Package queue holds what a sturdy client has accepted for sending and
// not yet finished with: the session's outbound messages, in order, across
// reconnects.
//
// # Order and the cursor
//
// Push gives every accepted message the next sequence number, starting at
// 1; that number is the session's order. The consumer (the client's single
// writer) reads through a cursor: Next hands out the entry at the cursor
// and moves past it, waiting when there is none; TryNext does the same
// without waiting, so the writer can gather what is already queued into one
// flush. Handing out does not remove anything. After a reconnect the writer
// calls Rewind, which puts the cursor back on the oldest entry still held,
// and Next replays from there.
//
// # Acknowledgement
//
// Entries leave the queue only through Ack, AckThrough or Drain (or a drop,
// below). The delivery mode is the caller's choice of when to acknowledge:
//
//   - at-most-once: the writer acks an entry as soon as it has been written
//     to the socket, so a reconnect replays nothing already written;
//   - at-least-once: the entry stays until the application, or an ack
//     extractor run on inbound messages, acknowledges it, so everything
//     unacknowledged is replayed after a reconnect and duplicates are
//     possible, only at reconnect boundaries.
//
// Both individual (Ack) and cumulative (AckThrough) acknowledgement exist
// because WebSocket protocols do both: some answer each request by its id,
// others report "everything through N received". With both, an ack
// extractor passes what the server said straight through, with no
// bookkeeping of its own. Acks are idempotent: an unknown or repeated
// sequence number is ignored, since replays make repeats normal.
//
// # Limits, overflow and expiry
//
// A queue is bounded by a number of messages and by payload bytes
// (Options.MaxMessages, Options.MaxBytes; 10,000 and 64 MiB by default);
// entries in flight count. A message larger than MaxBytes is refused with a
// *TooLargeError. When a message does not fit, Push first drops pending
// entries that have expired, then follows Options.Overflow: Block (wait,
// bounded by its context), Reject (ErrQueueFull), DropOldest (evict the
// oldest entries not handed out), or DropNewest (discard the new message,
// ErrDropped).
//
// A message may carry a maximum age. An entry whose deadline has passed is
// never handed out, never sent late: a pending entry is dropped and
// reported by the queue's own timer when its deadline passes (within
// about 10 ms), even while nobody calls the queue (the client is
// disconnected, say), and its room is freed then. Entries in flight are the
// consumer's until acknowledged or rewound. An expired entry that had been
// handed out (and rewound) is reported as ReasonExpiredUnacked, one never
// handed out as ReasonExpired.
//
// Every entry that leaves without being acknowledged is reported to
// Options.OnDrop with a DropReason, never silently. Reports are made in the
// order of the drops, one at a time, with no queue lock held.
//
// # Ownership of payloads
//
// Push copies the payload into blocks the queue owns and recycles, so the
// caller may reuse its buffer at once, and a warmed-up queue allocates
// nothing to Push, hand out or acknowledge. An Entry's Payload points into
// those blocks. A payload handed out by Next or TryNext stays valid and
// unmodified, whatever acks arrive, until the consumer's next call to Next,
// TryNext or Rewind (or Drain after the consumer stopped), and after that
// for as long as the entry is still held (not acknowledged or dropped): an
// ack that overtakes the writer parks the entry's block until the writer's
// next call instead of letting the next Push reuse it. In OnDrop and in
// Drain's function a payload is valid only during the call. Nobody may
// modify it. Memory held is bounded: live and parked blocks by about twice
// MaxBytes each (sizes round up to a power of two), recycled ones by
// MaxBytes.
//
// # Concurrency
//
// A queue serves many producers and one consumer. Push, Ack, AckThrough,
// Len, Close and Drain are safe for concurrent use. Next, TryNext and
// Rewind must be called by one goroutine at a time, the writer; acks may
// come from another goroutine, such as the reader running an ack
// extractor. Close wakes blocked callers with ErrClosed and keeps the
// entries, so the client can report, through Drain, what it never sent.
// A queue runs no goroutine of its own while idle: its expiry timer, and a
// File's SyncInterval timer, are time.AfterFunc timers, which run only
// when they fire; Close stops them.
//
// # Durable queue
//
// File (OpenFile) keeps the same semantics in a directory: every push and
// removal is logged, so a restart replays what was not acknowledged, in
// order, with numbering continued.
package queue
