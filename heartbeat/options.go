package heartbeat

import (
	"errors"
	"fmt"
	"time"
)

const (
	// DefaultInterval is the time between pings when [Options.Interval] is 0.
	//
	// The idle timers a WebSocket connection must outlive are those of the
	// middleboxes on its path: HTTP load balancers and reverse proxies (AWS
	// ALB and nginx's proxy_read_timeout default to 60 s) and NATs, whose
	// TCP idle timers on home routers and carrier-grade NATs are often far
	// below the two hours RFC 5382 asks for, sometimes 30-60 s on mobile
	// networks. At 15 s every such box sees traffic at least twice per 30 s
	// even if one ping is lost, and the cost is one 14-byte ping and one
	// 10-byte pong per 15 s. Together with DefaultTimeout it bounds the
	// time to notice a dead peer at 25 s.
	DefaultInterval = 15 * time.Second

	// DefaultTimeout is how long a ping may go unanswered when
	// [Options.Timeout] is 0.
	//
	// 10 s is far above real round trips (150-300 ms between continents,
	// about 600 ms over geostationary satellite, a few seconds on a congested
	// mobile link) and above the stalls of a busy server's event loop or
	// garbage collector, so a slow but alive peer is not dropped. It is
	// below DefaultInterval, so on a healthy link each ping is judged before
	// the next one leaves.
	DefaultTimeout = 10 * time.Second

	// DefaultMinTimeout is the floor of the adaptive timeout when
	// [Options.MinTimeout] is 0. RFC 6298 floors TCP's retransmission
	// timeout at 1 s; a pong also waits on the peer's application (its read
	// loop, its garbage collector), not only on the network, so the floor is
	// doubled.
	DefaultMinTimeout = 2 * time.Second
)

// Options configure a [Monitor]. The zero value is ready to use: control-frame
// pings every 15 s, dead after 10 s without the matching pong.
type Options struct {
	// Interval is the time between pings, counted from the monitor's start
	// on a fixed grid that does not drift with the time a ping takes to
	// write. 0 means DefaultInterval; negative is an error.
	Interval time.Duration

	// Timeout is how long the monitor waits, after sending a ping, for proof
	// of life (see Mode). 0 means DefaultTimeout; negative is an error.
	//
	// Timeout may equal or exceed Interval. At most one ping is ever
	// outstanding: a tick that falls while the last ping awaits its verdict
	// is skipped, so the next ping goes out on the first tick after the
	// reply, and silence is still declared at send time + Timeout.
	Timeout time.Duration

	// Mode says what proves the peer alive: its pong (PongOnly, the
	// default) or any inbound frame (AnyFrame).
	Mode Mode

	// AdaptiveTimeout derives each ping's timeout from the round-trip times
	// measured so far instead of always using Timeout:
	//
	//	timeout = clamp(2·SRTT + 4·RTTVAR, MinTimeout, Timeout)
	//
	// where SRTT and RTTVAR are TCP's estimators (RFC 6298). RFC 6298's
	// retransmission timeout is SRTT + 4·RTTVAR; SRTT is doubled here because
	// on a very steady link RTTVAR decays towards zero and a single late
	// pong, twice the usual round trip, must not kill the connection. On a
	// fast link a dead peer is found within MinTimeout instead of Timeout; on
	// a slow one the timeout grows with the round trip, up to Timeout. Until
	// the first reply is measured, Timeout applies. Default false.
	AdaptiveTimeout bool

	// MinTimeout is the floor of the adaptive timeout; it is ignored unless
	// AdaptiveTimeout is set. 0 means DefaultMinTimeout, or Timeout when
	// that is smaller. Negative, or above Timeout, is an error.
	MinTimeout time.Duration

	// Strategy chooses what a heartbeat is on the wire. The zero value
	// sends ping control frames; see [Text] and [JSON] for servers that
	// want application messages.
	Strategy Strategy

	// OnDead, when set, is called once, from the monitor's timer, when the
	// monitor ends on its own (dead peer or failed ping), with the error Err
	// will return, before Done is closed. It is not called after Stop. It
	// lets the owner react without a goroutine of its own waiting on Done;
	// it must not block or call Stop.
	OnDead func(error)

	// OnRTT, when set, is called with every round-trip sample the monitor
	// takes (the same samples RTT summarises), on the goroutine that
	// reported the reply: the connection's reader. It lets an owner keep
	// a distribution of round trips, which RTT's last and smoothed values
	// cannot give. It must be quick and must not block or call the
	// monitor; it is called with no lock held. Default: nil.
	OnRTT func(time.Duration)

	// Progress, when set, reports a count that changes while the
	// connection's writes are making progress: transport.Conn.WriteProgress,
	// which also sees the kernel's send buffer drain after the last write
	// (BytesWritten does not, and a heartbeat watching it calls that tail
	// dead). It tells a slow link from a dead one. A ping written behind a large message on a slow link
	// reaches the peer, and its pong comes back, only once the data ahead
	// of it has crossed the link, which can take longer than Timeout. So
	// when a ping's deadline passes without its reply but the count has
	// changed since the ping was written (the ping's own bytes are counted
	// before that), the monitor does not declare the peer dead: it waits
	// another timeout for the same ping, and again after that as long as
	// the count keeps changing. A whole timeout with neither the reply nor
	// any change is death, as without Progress: a peer that stops reading
	// stops the count once the socket buffers are full. DeadError.Waited
	// then reports the whole wait. While the monitor waits this way it
	// sends no other ping. The same holds for a ping still being written
	// when its timeout passes (it waits behind a large frame): it is given
	// another timeout while the count changes, and the reply's deadline runs
	// from when it is out. Progress is called from the monitor's timers,
	// a few times per ping; it must be cheap, must not
	// block and must be safe for concurrent use. Default: nil, the
	// deadline is final.
	Progress func() uint64

	// Sent, when set, counts the bytes handed to the connection's socket
	// (transport.Conn.BytesWritten), and declares that Progress counts,
	// in the same units, the bytes the peer has acknowledged
	// (transport.Conn.WriteAcked). The monitor then knows when the peer
	// has the ping itself: when Progress reaches Sent's count read just
	// after the ping was written. Until then a ping waiting behind data is
	// excused while Progress grows, as above; from then its pong is due
	// within Timeout, however much other data the peer goes on
	// acknowledging. So a peer whose TCP still accepts data while the
	// application behind it has stopped (a half-open or stalled server,
	// or a path that drops only what comes back) is found dead within
	// Timeout of having the ping, not only once its buffers fill. Without
	// Sent, growth alone excuses a late pong. Default: nil.
	Sent func() uint64

	// Clock is the source of time. nil means the system clock.
	Clock Clock
}

// Validate reports every unusable value in o, each as an [*OptionError]
// (joined with errors.Join when there are several), or nil. Zero values are
// valid: they select the defaults. [Start] calls Validate.
func (o Options) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, &OptionError{Field: field, Reason: fmt.Sprintf(format, args...)})
	}
	if o.Interval < 0 {
		bad("Interval", "%v is negative; use 0 for the default %v", o.Interval, DefaultInterval)
	}
	if o.Timeout < 0 {
		bad("Timeout", "%v is negative; use 0 for the default %v", o.Timeout, DefaultTimeout)
	}
	if o.MinTimeout < 0 {
		bad("MinTimeout", "%v is negative; use 0 for the default %v", o.MinTimeout, DefaultMinTimeout)
	}
	if o.Mode != PongOnly && o.Mode != AnyFrame {
		bad("Mode", "%v is not PongOnly or AnyFrame", o.Mode)
	}
	if timeout := o.withDefaults().Timeout; o.AdaptiveTimeout && o.MinTimeout > timeout {
		bad("MinTimeout", "%v exceeds Timeout %v, so the adaptive timeout would have no room", o.MinTimeout, timeout)
	}
	if s := o.Strategy; s.IsReply == nil && (len(s.Message) > 0 || s.Binary) {
		bad("Strategy", "Message or Binary is set but IsReply is nil, so replies could not be recognised")
	}
	return errors.Join(errs...)
}

// withDefaults replaces zero values by the defaults they stand for.
func (o Options) withDefaults() Options {
	if o.Interval == 0 {
		o.Interval = DefaultInterval
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MinTimeout == 0 {
		o.MinTimeout = min(DefaultMinTimeout, o.Timeout)
	}
	if o.Clock == nil {
		o.Clock = systemClock{}
	}
	return o
}
