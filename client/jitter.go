package client

import (
	"math/rand/v2"
	"strconv"
	"time"
)

// Jitter is how a Backoff randomises its intervals. When a server restarts,
// every Client it served reconnects at once; the jitter decides whether
// their attempts arrive in waves that the server refuses in part (and that
// come back, larger, one interval later) or spread over the time it needs
// to take them. The choice of the default was made with a simulation of
// 1,000,000 Clients (bench/storm; the results are in docs/architecture.md).
type Jitter int

const (
	// EqualJitter waits half the interval plus a uniform random time up
	// to the other half: the default. Half of each wait is a floor that
	// keeps a fleet's attempts from arriving early in a burst, and the
	// other half spreads them over the interval.
	EqualJitter Jitter = iota

	// FullJitter waits a uniform random time between zero and the
	// interval: the widest spread, but the waits of unlucky Clients grow
	// long after a few failures, so the last ones come back late.
	FullJitter

	// DecorrelatedJitter waits a uniform random time between Initial and
	// three times the previous wait (capped at Max), as in Brooker's
	// "Exponential Backoff And Jitter".
	DecorrelatedJitter

	// ProportionalJitter waits the interval times a uniform factor within
	// ±50 %, as cenkalti/backoff's ExponentialBackOff does with its default
	// RandomizationFactor.
	ProportionalJitter
)

var jitterNames = [...]string{"EqualJitter", "FullJitter", "DecorrelatedJitter", "ProportionalJitter"}

// String returns the constant's name.
func (j Jitter) String() string {
	if j >= 0 && int(j) < len(jitterNames) {
		return jitterNames[j]
	}
	return "Jitter(" + strconv.Itoa(int(j)) + ")"
}

// Defaults of a Backoff's zero fields: the policy that, in the simulated
// restart of docs/architecture.md, brought every Client back sooner than
// cenkalti/backoff's default, with fewer attempts and a flatter load.
const (
	DefaultBackoffInitial    = time.Second
	DefaultBackoffMax        = 30 * time.Second
	DefaultBackoffMultiplier = 1.25
)

// Backoff is the Client's reconnect policy when Options.Backoff is nil: an
// exponential interval (Initial, times Multiplier after each attempt, at
// most Max), randomised by Jitter. It never gives up. The zero value is
// the default policy. It implements cenkalti/backoff's BackOff; like any
// BackOff it is used by one Client at a time.
type Backoff struct {
	// Initial is the first interval. Default DefaultBackoffInitial.
	Initial time.Duration
	// Max bounds every interval. Default DefaultBackoffMax.
	Max time.Duration
	// Multiplier grows the interval after each attempt. Values of 1 or
	// less mean DefaultBackoffMultiplier. DecorrelatedJitter ignores it.
	Multiplier float64
	// Jitter randomises the intervals. Default EqualJitter.
	Jitter Jitter
	// Rand is the source of randomness; nil means math/rand/v2's global
	// source. A simulation sets a seeded one so that runs repeat.
	Rand *rand.Rand

	interval time.Duration // the exponential interval of the next attempt; 0 after Reset
	prev     time.Duration // the last wait (DecorrelatedJitter)
}

// NextBackOff returns how long to wait before the next attempt.
func (b *Backoff) NextBackOff() time.Duration {
	initial, ceiling, mult := b.params()
	if b.interval == 0 {
		b.interval = initial
	}
	iv := b.interval
	b.interval = time.Duration(min(float64(ceiling), float64(iv)*mult))
	var d time.Duration
	switch b.Jitter {
	case FullJitter:
		d = time.Duration(b.float() * float64(iv))
	case DecorrelatedJitter:
		prev := max(b.prev, initial)
		d = min(ceiling, initial+time.Duration(b.float()*float64(3*prev-initial)))
	case ProportionalJitter:
		d = time.Duration(float64(iv) * (0.5 + b.float()))
	default:
		d = iv/2 + time.Duration(b.float()*float64(iv-iv/2))
	}
	b.prev = d
	return d
}

// Reset starts the intervals over from Initial.
func (b *Backoff) Reset() { b.interval, b.prev = 0, 0 }

func (b *Backoff) params() (initial, ceiling time.Duration, mult float64) {
	initial, ceiling, mult = b.Initial, b.Max, b.Multiplier
	if initial <= 0 {
		initial = DefaultBackoffInitial
	}
	if ceiling <= 0 {
		ceiling = DefaultBackoffMax
	}
	ceiling = max(ceiling, initial)
	if mult <= 1 {
		mult = DefaultBackoffMultiplier
	}
	return initial, ceiling, mult
}

func (b *Backoff) float() float64 {
	if b.Rand != nil {
		return b.Rand.Float64()
	}
	return rand.Float64()
}
