package interop

import (
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/sturdyws/sturdy/client"
)

// The soak's verdicts: what the server's log and the client's callbacks
// must show after the run.

// checkAtLeastOnce checks the server's log: within a connection, numbers
// follow one another; a connection may start at or below the next new
// number (a replay of unacknowledged messages) but never above it; and
// every number up to n arrived. It returns how many arrivals were
// duplicates.
//
// With skipAcked (an ack-happy server, which acknowledges numbers the
// client is about to replay), a connection may skip numbers the server
// had already received, since the acknowledgement took them out of the
// queue; it still may not skip a number never received, nor go back.
func checkAtLeastOnce(log []received, n uint64, skipAcked bool) (int, error) {
	var high uint64 // highest number received so far
	dups := 0
	for i, r := range log {
		if i > 0 && log[i-1].conn == r.conn && r.n != log[i-1].n+1 {
			if !skipAcked || r.n <= log[i-1].n || r.n-1 > high {
				return dups, fmt.Errorf("connection %d: %d followed %d (a gap or reorder inside a connection)", r.conn, r.n, log[i-1].n)
			}
		}
		switch {
		case r.n > high+1:
			return dups, fmt.Errorf("connection %d: received %d while %d was the next new number (a message was skipped)", r.conn, r.n, high+1)
		case r.n == high+1:
			high++
		default:
			dups++
		}
	}
	if high != n {
		return dups, fmt.Errorf("received up to %d, want %d", high, n)
	}
	return dups, nil
}

// atMostOnceResult is what checkAtMostOnce found.
type atMostOnceResult struct {
	delivered int
	byReason  map[string]int
	// expiredArrived lists messages reported expired ("never sent") that
	// the server read: bugExpiredAfterWrite.
	expiredArrived []uint64
	// neverSentArrived lists the other dead letters the server read
	// anyway. Only ReasonUnconfirmed means "written, fate unknown"; every
	// other reason (Overflow, Closed) says the message never left the
	// queue, so its arrival means the client reported a sent message as
	// unsent, or sent one it had given up on.
	neverSentArrived []client.DeadLetter
}

// checkAtMostOnce checks that no number arrived twice or out of order,
// that every number that did not arrive was dead-lettered, once, and that
// no message dead-lettered for any reason but ReasonUnconfirmed arrived
// (listed apart: expired ones for a message naming bugExpiredAfterWrite,
// the others in neverSentArrived).
func checkAtMostOnce(log []received, dead []client.DeadLetter, n uint64) (atMostOnceResult, error) {
	var res atMostOnceResult
	got := make(map[uint64]bool, len(log))
	var last uint64
	for _, r := range log {
		if got[r.n] {
			return res, fmt.Errorf("%d arrived twice in at-most-once mode", r.n)
		}
		if r.n < last {
			return res, fmt.Errorf("%d arrived after %d", r.n, last)
		}
		got[r.n] = true
		last = r.n
	}
	res.byReason = map[string]int{}
	reported := make(map[uint64]client.DropReason, len(dead))
	var errs []error
	for _, d := range dead {
		res.byReason[d.Reason.String()]++
		if r, twice := reported[d.Seq]; twice {
			errs = append(errs, fmt.Errorf("%d was dead-lettered twice: %v, then %v", d.Seq, r, d.Reason))
		}
		reported[d.Seq] = d.Reason
		switch {
		case !got[d.Seq] || d.Reason == client.ReasonUnconfirmed:
		case d.Reason == client.ReasonExpired:
			res.expiredArrived = append(res.expiredArrived, d.Seq)
		default:
			res.neverSentArrived = append(res.neverSentArrived, d)
		}
	}
	if len(errs) > 0 {
		if len(errs) > 10 {
			errs = append(errs[:10], fmt.Errorf("and %d more", len(errs)-10))
		}
		return res, errors.Join(errs...)
	}
	var missing []uint64
	for i := uint64(1); i <= n; i++ {
		if _, ok := reported[i]; !got[i] && !ok {
			missing = append(missing, i)
		}
	}
	if len(missing) > 0 {
		sort.Slice(missing, func(a, b int) bool { return missing[a] < missing[b] })
		return res, fmt.Errorf("%d messages neither arrived nor were dead-lettered, first %d", len(missing), missing[0])
	}
	res.delivered = len(got)
	return res, nil
}

// checkWire checks the client-side record of the soak's writes (wireLog)
// and returns the oldest message written, measured from its time stamp.
//
// Every number the server read must have been seen written: otherwise the
// recorder is blind to some of the client's frames, and the checks below
// would pass on what it missed. In at-most-once mode no number may have
// been written twice, even to a connection that then failed. With a
// maxAge, no message may have been written later than maxAge plus slack
// after it was sent: the client must expire it instead.
func checkWire(log []received, writes map[uint64]wireWrite, once bool, maxAge, slack time.Duration) (time.Duration, error) {
	var errs []error
	unseen := 0
	for _, r := range log {
		if _, ok := writes[r.n]; !ok {
			if unseen++; unseen == 1 {
				errs = append(errs, fmt.Errorf("the server read %d, which the wire recorder never saw written", r.n))
			}
		}
	}
	if unseen > 1 {
		errs = append(errs, fmt.Errorf("%d numbers read by the server were never seen written", unseen))
	}
	var oldest time.Duration
	var twice, late []uint64
	for n, w := range writes {
		if w.count > 1 {
			twice = append(twice, n)
		}
		age := w.latest.Sub(w.sent)
		oldest = max(oldest, age)
		if maxAge > 0 && age > maxAge+slack {
			late = append(late, n)
		}
	}
	sortSeqs := func(s []uint64) { sort.Slice(s, func(a, b int) bool { return s[a] < s[b] }) }
	if once && len(twice) > 0 {
		sortSeqs(twice)
		errs = append(errs, fmt.Errorf("%d messages written more than once in at-most-once mode, first %d (%d times)", len(twice), twice[0], writes[twice[0]].count))
	}
	if len(late) > 0 {
		sortSeqs(late)
		w := writes[late[0]]
		errs = append(errs, fmt.Errorf("%d messages written to the socket more than MaxAge %v (+%v slack) after they were sent, first %d (%v after), oldest %v",
			len(late), maxAge, slack, late[0], w.latest.Sub(w.sent), oldest))
	}
	return oldest, errors.Join(errs...)
}

// describeArrival says on which server connection n arrived and what
// arrived around it, for a failure message.
func describeArrival(log []received, n uint64) string {
	for i, r := range log {
		if r.n != n {
			continue
		}
		lo, hi := max(0, i-3), min(len(log), i+4)
		return fmt.Sprintf("server connection %d; log around it: %v", r.conn, log[lo:hi])
	}
	return "not in the log"
}

// checkTransitions checks the client's state changes against the state
// table (which allows one connection attempt at a time: Connecting is only
// entered from Reconnecting, and left before the next), that every attempt
// dialed once, and that every backoff delay is within the schedule. The
// client resets its backoff only when a connection has stayed up for
// stable (Options.StablePeriod; the soak never calls MarkHealthy), so the
// j-th delay since the last reset (from 0) lies in
// [min(Initial·2^j, Max)·(1−jitter), min(Initial·2^j, Max)·(1+jitter)].
//
// The connection's length is taken from the changes' At: from Connected
// to the next Reconnecting. That span contains the client's own
// measurement (which starts after Connected and ends before Reconnecting),
// so a span under stable means the client certainly kept its backoff, and
// only a span over stable plus stableSlack means it certainly reset it.
// In between either is right: the lower bound counts delays from the last
// possible reset, the upper bound from the last certain one. A client that
// reset on every connect (a hot loop under a flapping server) breaks the
// lower bound; one that never reset breaks the upper.
func checkTransitions(changes []client.StateChange, dials int64, stable time.Duration) error {
	allowed := map[client.State][]client.State{
		client.Connecting:   {client.Connected, client.Reconnecting, client.Failed, client.Closed},
		client.Connected:    {client.Reconnecting, client.Failed, client.Closed},
		client.Reconnecting: {client.Connecting, client.Failed, client.Closed},
	}
	// stableSlack is how much longer than the client's own measurement
	// the span between the two callbacks' time stamps can be: the
	// heartbeat's start before, and the connection's teardown after
	// (closing, waiting for the reader, reporting unconfirmed messages),
	// stretched by -race on a loaded machine.
	const stableSlack = 250 * time.Millisecond
	schedule := func(j int) time.Duration {
		if j < 10 && soakBackoffInitial<<j < soakBackoffMax {
			return soakBackoffInitial << j
		}
		return soakBackoffMax
	}
	state := client.Connecting
	attempts := int64(1) // Start begins in Connecting
	// Delays since the last reset the client may have made (lo) and since
	// the last one it must have made (hi); equal unless a connection's
	// length was too close to stable to tell.
	lo, hi := 0, 0
	var connectedAt time.Time
	for i, sc := range changes {
		if sc.From != state {
			return fmt.Errorf("change %d is from %v, but the client was %v", i, sc.From, state)
		}
		ok := false
		for _, s := range allowed[state] {
			ok = ok || s == sc.To
		}
		if !ok {
			return fmt.Errorf("change %d: %v → %v is not a transition of the state table", i, sc.From, sc.To)
		}
		if sc.To == client.Connecting {
			attempts++
		}
		if sc.To == client.Connected {
			connectedAt = sc.At
		}
		if sc.To == client.Reconnecting {
			up := time.Duration(-1) // not after a connection: no reset
			if sc.From == client.Connected {
				up = sc.At.Sub(connectedAt)
			}
			if up >= stable {
				lo = 0
			}
			if up >= stable+stableSlack {
				hi = 0
			}
			floor := time.Duration(float64(schedule(lo))*(1-soakJitter)) - time.Millisecond
			ceil := time.Duration(float64(schedule(hi))*(1+soakJitter)) + time.Millisecond
			if sc.Delay < floor || sc.Delay > ceil {
				return fmt.Errorf("change %d: backoff delay %v outside [%v, %v]: %d delays since the last possible backoff reset, %d since the last certain one (connection up %v, StablePeriod %v; cause %v)",
					i, sc.Delay, floor, ceil, lo, hi, up, stable, sc.Cause)
			}
			lo++
			hi++
		}
		if sc.To == client.Failed {
			return fmt.Errorf("change %d: the session failed: %v", i, sc.Cause)
		}
		state = sc.To
	}
	if state != client.Closed {
		return fmt.Errorf("last state %v, want Closed", state)
	}
	if dials != attempts {
		return fmt.Errorf("%d dials for %d connection attempts", dials, attempts)
	}
	return nil
}
