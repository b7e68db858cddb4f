package heartbeat

import "time"

// rttEstimator smooths round-trip samples the way TCP does (RFC 6298, section
// 2): SRTT is a moving average with gain 1/8 and RTTVAR a moving average of
// |SRTT - sample| with gain 1/4. TCP's constants are used because they are
// well studied on exactly this kind of signal and need no tuning per link.
// The zero value holds no samples. It is not safe for concurrent use; the
// Monitor guards it with its mutex.
type rttEstimator struct {
	last, srtt, rttvar time.Duration
	sampled            bool
}

// add folds one round-trip sample into the estimate.
func (e *rttEstimator) add(r time.Duration) {
	r = max(r, 0) // a clock that steps back must not poison the average
	e.last = r
	if !e.sampled {
		e.srtt, e.rttvar, e.sampled = r, r/2, true
		return
	}
	diff := e.srtt - r
	if diff < 0 {
		diff = -diff
	}
	// RTTVAR first: RFC 6298 updates it with the SRTT from before this sample.
	e.rttvar = (3*e.rttvar + diff) / 4
	e.srtt = (7*e.srtt + r) / 8
}

// timeout is the adaptive pong timeout documented on
// Options.AdaptiveTimeout: 2·SRTT + 4·RTTVAR clamped to [lo, hi], or hi before
// the first sample.
func (e *rttEstimator) timeout(lo, hi time.Duration) time.Duration {
	if !e.sampled {
		return hi
	}
	return min(max(2*e.srtt+4*e.rttvar, lo), hi)
}
