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
func checkAtLeastOnce(log []received, n uint64) (int, error) {
	var high uint64 // highest number received so far
	dups := 0
	for i, r := range log {
		if i > 0 && log[i-1].conn == r.conn && r.n != log[i-1].n+1 {
			return dups, fmt.Errorf("connection %d: %d followed %d (a gap or reorder inside a connection)", r.conn, r.n, log[i-1].n)
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
}

// checkAtMostOnce checks that no number arrived twice or out of order,
// that every number that did not arrive was dead-lettered, once, and that
// no message reported expired arrived (listed apart, for a message naming
// bugExpiredAfterWrite).
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
		if d.Reason == client.ReasonExpired && got[d.Seq] {
			res.expiredArrived = append(res.expiredArrived, d.Seq)
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
// dialed once, and that every backoff delay is within the schedule: at
// most MaxInterval plus jitter, and growing while attempts keep failing.
// The backoff is not reset between failures, so the j-th delay since the
// last connection (from 0) is at least min(Initial·2^j, Max) less jitter,
// whatever the interval was when the run began: no hot loop.
func checkTransitions(changes []client.StateChange, dials int64) error {
	allowed := map[client.State][]client.State{
		client.Connecting:   {client.Connected, client.Reconnecting, client.Failed, client.Closed},
		client.Connected:    {client.Reconnecting, client.Failed, client.Closed},
		client.Reconnecting: {client.Connecting, client.Failed, client.Closed},
	}
	state := client.Connecting
	attempts := int64(1) // Start begins in Connecting
	failures := 0        // Reconnecting changes since the last Connected
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
			failures = 0
		}
		if sc.To == client.Reconnecting {
			base := soakBackoffMax
			if failures < 10 && soakBackoffInitial<<failures < soakBackoffMax {
				base = soakBackoffInitial << failures
			}
			lo := time.Duration(float64(base)*(1-soakJitter)) - time.Millisecond
			hi := time.Duration(float64(soakBackoffMax)*(1+soakJitter)) + time.Millisecond
			if sc.Delay < lo || sc.Delay > hi {
				return fmt.Errorf("change %d: backoff delay %v outside [%v, %v] after %d failures (cause %v)", i, sc.Delay, lo, hi, failures, sc.Cause)
			}
			failures++
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
