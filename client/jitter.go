package client

import (
	"math"
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
	// to the other half: a Backoff's zero value. Half of each wait is a
	// floor that keeps a fleet's attempts from arriving early in a burst,
	// and the other half spreads them over the interval. The Client's
	// default is PhaseJitter, which spreads a restarted server's fleet
	// more evenly.
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

	// PhaseJitter puts the Client at a random point of the exponential
	// schedule when the backoff starts over, and then follows the
	// schedule from there, varied by only ±5 %. The schedule is the curve
	// along which the interval grows continuously from Initial by
	// Multiplier an attempt, up to Max; the first attempt comes at the
	// curve's time for a point u, uniform in [0, 1), and attempt n at its
	// time for n+u. The first wait is thus between 0 and 1.12 Initial (at
	// ×1.25), and wait n ≥ 1 the time the curve takes over one step from
	// the Client's point: 1.12–1.40 s, then 1.40–1.75 s, ... for the
	// Client's default, each ±5 %. It is the Client's default
	// (Options.Backoff nil).
	//
	// Why: the Clients of a server that restarts all start over at once,
	// at points spread evenly over one step of the curve, and stay so
	// spread at every later step, so whenever the server comes back
	// their attempts arrive at a near constant rate until the last is
	// back, within one interval. A jitter drawn afresh and wide at every
	// wait (equal, full, proportional) leaves the phases of Clients that
	// began together unmixed for several attempts, and sends them back in
	// waves: in the simulated restart of 5,000 Clients
	// (docs/architecture.md) the busiest 100 ms takes at most 1.45× the
	// mean handshakes with PhaseJitter, against up to 2.5× with equal
	// jitter over the same intervals. The ±5 % is for servers that refuse
	// part of what comes: Clients refused together would otherwise come
	// back together at every attempt.
	PhaseJitter
)

var jitterNames = [...]string{"EqualJitter", "FullJitter", "DecorrelatedJitter", "ProportionalJitter", "PhaseJitter"}

// String returns the constant's name.
func (j Jitter) String() string {
	if j >= 0 && int(j) < len(jitterNames) {
		return jitterNames[j]
	}
	return "Jitter(" + strconv.Itoa(int(j)) + ")"
}

// Defaults of a Backoff's zero fields. With PhaseJitter they are the
// Client's default policy, which in the simulated restart of
// docs/architecture.md brought every Client back sooner than
// cenkalti/backoff's default, with fewer attempts and a flat load.
const (
	DefaultBackoffInitial    = time.Second
	DefaultBackoffMax        = 30 * time.Second
	DefaultBackoffMultiplier = 1.25
)

// Backoff is the Client's own reconnect policy: an exponential interval
// (Initial, times Multiplier after each attempt, at most Max), randomised
// by Jitter. It never gives up. When Options.Backoff is nil the Client
// uses &Backoff{Jitter: PhaseJitter}; the zero value, with EqualJitter,
// has the same intervals. It implements cenkalti/backoff's BackOff; like
// any BackOff it is used by one Client at a time.
type Backoff struct {
	// Initial is the first interval. Default DefaultBackoffInitial.
	Initial time.Duration
	// Max bounds every interval. Default DefaultBackoffMax.
	Max time.Duration
	// Multiplier grows the interval after each attempt. Values of 1 or
	// less mean DefaultBackoffMultiplier. DecorrelatedJitter ignores it.
	Multiplier float64
	// Jitter randomises the intervals. The zero value is EqualJitter;
	// the Client's default Backoff has PhaseJitter.
	Jitter Jitter
	// Rand is the source of randomness; nil means math/rand/v2's global
	// source. A simulation sets a seeded one so that runs repeat.
	Rand *rand.Rand

	interval time.Duration // the exponential interval of the next attempt; 0 after Reset
	prev     time.Duration // the last wait (DecorrelatedJitter)
	pos      float64       // PhaseJitter: the point of the curve of the last attempt scheduled
	phased   bool          // PhaseJitter: pos was drawn since Reset
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
	case PhaseJitter:
		if !b.phased {
			b.phased, b.pos = true, b.float()
			d = curve(b.pos, initial, ceiling, mult)
		} else {
			d = curve(b.pos+1, initial, ceiling, mult) - curve(b.pos, initial, ceiling, mult)
			d = time.Duration(float64(d) * (1 - phaseSpread + 2*phaseSpread*b.float()))
			b.pos++
		}
	default:
		d = iv/2 + time.Duration(b.float()*float64(iv-iv/2))
	}
	b.prev = d
	return d
}

// Reset starts the intervals over from Initial.
func (b *Backoff) Reset() { b.interval, b.prev, b.pos, b.phased = 0, 0, 0, false }

// phaseSpread is how much PhaseJitter varies each wait after the first:
// enough to part Clients that a server refused together, in the simulated
// storm of a million Clients against servers completing 100,000
// handshakes a second (24 s until all are back, against 61 s with no
// variation), little enough to keep the fleet's phases evenly spread.
const phaseSpread = 0.05

// curve is PhaseJitter's schedule: the time at which the point x of the
// curve comes, for an interval that grows continuously from initial by
// mult per unit of x (the integral of initial·mult^x), up to ceiling and
// constant from there.
func curve(x float64, initial, ceiling time.Duration, mult float64) time.Duration {
	i, c, ln := float64(initial), float64(ceiling), math.Log(mult)
	xc := math.Log(c/i) / ln // where the interval reaches ceiling
	if x <= xc {
		return time.Duration(i * math.Expm1(x*ln) / ln)
	}
	return time.Duration((c-i)/ln + (x-xc)*c)
}

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
