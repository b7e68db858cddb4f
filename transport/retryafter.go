package transport

import (
	"net/http"
	"strings"
	"time"
)

// maxRetryAfter caps the delay taken from a Retry-After header. A server
// asking for more than a day is misconfigured or hostile; obeying it would
// park a client for weeks, and a huge value would overflow a Duration.
const maxRetryAfter = 24 * time.Hour

// parseRetryAfter reads a Retry-After value (RFC 9110 §10.2.3): either
// delta-seconds or an HTTP date, taken relative to now. A date in the past,
// an empty value or garbage gives 0; anything above maxRetryAfter gives
// maxRetryAfter.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if isDigits(v) {
		// Count in whole seconds and stop once past the cap, so a value of
		// any length neither overflows nor costs more than a few steps.
		var secs int64
		for i := 0; i < len(v); i++ {
			secs = secs*10 + int64(v[i]-'0')
			if time.Duration(secs)*time.Second >= maxRetryAfter {
				return maxRetryAfter
			}
		}
		return time.Duration(secs) * time.Second
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0
	}
	d := t.Sub(now)
	switch {
	case d <= 0:
		return 0
	case d > maxRetryAfter:
		return maxRetryAfter
	}
	return d
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return len(s) > 0
}
