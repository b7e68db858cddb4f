package client

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/sturdyws/sturdy/heartbeat"
	"github.com/sturdyws/sturdy/queue"
	"github.com/sturdyws/sturdy/transport"
)

// Delivery is the delivery guarantee for sent messages.
type Delivery int

const (
	// AtMostOnce never sends a message twice. A message leaves the queue
	// once the server is known to have read it: a ping written after it
	// came back as a pong, or the closing handshake completed. A message
	// written to a connection that failed before that proof arrived is not
	// resent; it is reported to OnDeadLetter as ReasonUnconfirmed, since it
	// may or may not have arrived. So every message is either delivered or
	// reported.
	AtMostOnce Delivery = iota
	// AtLeastOnce keeps a message until the application acknowledges it
	// (Client.Ack, Client.AckThrough or Options.AckExtractor) and replays
	// every unacknowledged message after a reconnect: nothing is lost, and
	// duplicates happen only at reconnect boundaries.
	AtLeastOnce
)

// String returns the mode's name.
func (d Delivery) String() string {
	if d == AtLeastOnce {
		return "AtLeastOnce"
	}
	return "AtMostOnce"
}

// Defaults for zero Options fields.
const (
	DefaultStablePeriod     = 10 * time.Second
	DefaultWriteTimeout     = 10 * time.Second
	DefaultOnConnectTimeout = 30 * time.Second
	DefaultInboundBuffer    = 256
	DefaultInboundMaxBytes  = 32 << 20
	DefaultMaxBatch         = 256
	DefaultMaxInFlight      = 1024
)

// Options configure a Client. The zero value of every field is usable; URL
// or Endpoint must be set.
type Options struct {
	// URL is the ws:// or wss:// address to connect to. Endpoint, when
	// set, is used instead.
	URL string

	// Endpoint, when set, is called before every dial for the URL and extra
	// headers, so signed or expiring tokens are fresh on each reconnect. An
	// error from it counts as a failed attempt.
	Endpoint func(ctx context.Context) (url string, header http.Header, err error)

	// Dial configures the transport: headers, subprotocols, TLS, proxy,
	// buffer sizes, read limit. Its OnPong is still called. Its
	// WriteTimeout, when zero, is set to DefaultWriteTimeout: a write that
	// stalls that long (peer not reading, TCP window full) drops the
	// connection as 1006. A negative WriteTimeout turns that off. Its
	// NoIdleReads is set unless InboundPolicy is InboundWait: the Client's
	// reader is always reading, so the Conn's idle responder has nothing
	// to do (under InboundWait it answers pings while the reader waits).
	Dial transport.DialOptions

	// Delivery is the delivery guarantee. Default AtMostOnce.
	Delivery Delivery

	// AckExtractor, for AtLeastOnce, recognises the server's
	// acknowledgements among inbound messages: it returns the sequence
	// number acknowledged and true, and every message up to and including
	// that number leaves the queue. Acknowledgement messages are consumed,
	// not delivered to Read. It runs on the goroutine that took the
	// message off the connection (the reader, or a Read or ReadInto
	// taking it directly), one message at a time, in order, and must not
	// keep payload.
	AckExtractor func(typ transport.MessageType, payload []byte) (seq uint64, ok bool)

	// MaxInFlight, for AtLeastOnce, bounds how many messages may be written
	// and not yet acknowledged; the writer waits for acknowledgements
	// beyond it. It bounds what a dropped connection replays (the
	// duplicates the server sees) at the cost of throughput when
	// acknowledgements are slow. Zero means DefaultMaxInFlight; negative
	// means no bound. Enforced with queues that report InFlight, as
	// queue.Memory does.
	MaxInFlight int

	// Queue is the outbound queue. nil means a queue.Memory built from
	// QueueOptions. The Client owns whatever is given and closes it. When
	// the queue has an AddOnDrop method (queue.Memory and queue.File do),
	// the Client adds itself to the queue's drop reports, so overflow and
	// expiry reach OnDeadLetter and Stats after the queue's own OnDrop;
	// other queues report only through their own callbacks. Either way the
	// Client reports what it drops itself (unconfirmed, expired at write
	// time, left at Close). The queue's Close, which the Client's calls,
	// waits for drop reports under way, so the queue's own OnDrop must not
	// call the Client's Close.
	Queue queue.Queue

	// QueueOptions configure the default memory queue (bounds and overflow
	// policy). Their OnDrop is replaced by the Client's dead-letter
	// reporting.
	QueueOptions queue.Options

	// MaxAge is the default maximum age of a sent message; a message that
	// waited longer is never sent and is reported as expired. Zero means
	// no limit.
	MaxAge time.Duration

	// OnConnect runs after every successful handshake, before the queue is
	// replayed: what it writes to conn (authentication, subscriptions) goes
	// out before any queued message. It may also read replies from conn.
	// Returning an error drops the connection, which is retried. Its
	// context ends with the session or after OnConnectTimeout, and the
	// connection is then closed, so a hook blocked reading a reply that
	// never comes returns too.
	OnConnect func(ctx context.Context, conn *transport.Conn) error

	// OnConnectTimeout bounds OnConnect. Default DefaultOnConnectTimeout.
	OnConnectTimeout time.Duration

	// OnStateChange is told of every state transition, once, in order.
	OnStateChange func(StateChange)

	// OnDeadLetter is told of every message that left the queue without
	// being delivered: expired, dropped by the overflow policy, written to
	// a connection that failed (AtMostOnce), or still queued at Close.
	//
	// It runs on the callback goroutine, one call at a time, and each
	// DeadLetter carries a copy of its payload. Reports made while it is
	// busy wait in memory, and nothing bounds how many: with a full queue
	// that drops on overflow, every Send adds one. So keep it quick (count,
	// log, or hand the payload to a bounded channel of your own) rather
	// than writing each message somewhere slow.
	OnDeadLetter func(DeadLetter)

	// Observer, when set, is told of the session's events for metrics and
	// traces: connection attempts with their phases, state changes, round
	// trips, messages sent and received with their sizes, dead letters,
	// replays after a reconnect (see Observer; the module
	// github.com/sturdyws/sturdy/otel provides one for OpenTelemetry). It
	// runs beside OnStateChange and OnDeadLetter, which it does not
	// replace. Default nil: no observer, at the cost of a nil check per
	// event.
	Observer Observer

	// Heartbeat configures the liveness monitor (ping interval, timeout,
	// application-level strategy). The zero value pings every 15 s and
	// drops the connection when a pong is 10 s late.
	Heartbeat heartbeat.Options

	// DisableHeartbeat turns the liveness monitor off.
	DisableHeartbeat bool

	// Backoff spaces out reconnect attempts. nil means
	// &Backoff{Jitter: PhaseJitter}: intervals starting at 1 s, growing
	// 1.25× to 30 s, never giving up; the first wait 0–1.12 s, then
	// 1.12–1.40 s, 1.40–1.75 s, ..., each ±5 %, up to 30 s, from a point
	// of the schedule each Client draws when the backoff starts over. It
	// is reset only when a connection stays up for StablePeriod, or the
	// program calls MarkHealthy.
	Backoff backoff.BackOff

	// StablePeriod is how long a connection must stay up before the
	// backoff is reset. Default DefaultStablePeriod.
	StablePeriod time.Duration

	// ShouldReconnect decides, from the cause, whether to try again. nil
	// means DefaultShouldReconnect.
	ShouldReconnect func(cause error) bool

	// ReconnectOnNormalClosure reconnects after a close with 1000 (or no
	// code) from the server, which otherwise ends the session as Failed.
	ReconnectOnNormalClosure bool

	// FailFirstAttempt makes a failed first connection attempt final, for
	// programs that would rather report a bad URL than keep trying.
	FailFirstAttempt bool

	// InboundBuffer is how many received messages may wait for Read; past
	// it, or past InboundMaxBytes, InboundPolicy decides. Default
	// DefaultInboundBuffer.
	InboundBuffer int

	// InboundMaxBytes bounds the payload bytes of the received messages
	// waiting for Read. A single message larger than this (within
	// Dial.ReadLimit) is still delivered when nothing else waits. Default
	// DefaultInboundMaxBytes (32 MiB: two messages of the default read
	// limit).
	InboundMaxBytes int64

	// InboundPolicy is what happens to a received message when the program
	// has not read enough of the earlier ones. Default InboundDropOldest;
	// InboundDiscard is for programs that never call Read. See
	// InboundPolicy for why.
	InboundPolicy InboundPolicy

	// MaxBatch bounds how many queued messages one flush writes.
	// Default DefaultMaxBatch.
	MaxBatch int

	// Logger receives the Client's logs. nil means silent.
	Logger *slog.Logger

	// drainHook, when a test of this package sets it, runs on the
	// supervisor when it starts waiting for a reader to drain a
	// connection whose write side broke, so the test can wait for that
	// event rather than sleep.
	drainHook func()
}

var errNoURL = errors.New("client: Options.URL or Options.Endpoint must be set")

// withDefaults validates o and fills in its zero fields.
func (o Options) withDefaults() (Options, error) {
	if o.URL == "" && o.Endpoint == nil {
		return o, errNoURL
	}
	if !o.DisableHeartbeat {
		if err := o.Heartbeat.Validate(); err != nil {
			return o, err
		}
	}
	if o.Dial.WriteTimeout == 0 {
		o.Dial.WriteTimeout = DefaultWriteTimeout
	} else if o.Dial.WriteTimeout < 0 {
		o.Dial.WriteTimeout = 0
	}
	if o.Backoff == nil {
		o.Backoff = &Backoff{Jitter: PhaseJitter}
	}
	if o.StablePeriod <= 0 {
		o.StablePeriod = DefaultStablePeriod
	}
	if o.ShouldReconnect == nil {
		o.ShouldReconnect = DefaultShouldReconnect
	}
	if o.InboundBuffer <= 0 {
		o.InboundBuffer = DefaultInboundBuffer
	}
	if o.InboundMaxBytes <= 0 {
		o.InboundMaxBytes = DefaultInboundMaxBytes
	}
	if o.InboundPolicy < InboundDropOldest || o.InboundPolicy > InboundDiscard {
		return o, errors.New("client: unknown Options.InboundPolicy " + o.InboundPolicy.String())
	}
	if o.OnConnectTimeout <= 0 {
		o.OnConnectTimeout = DefaultOnConnectTimeout
	}
	if o.MaxInFlight == 0 {
		o.MaxInFlight = DefaultMaxInFlight
	} else if o.MaxInFlight < 0 {
		o.MaxInFlight = 0
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = DefaultMaxBatch
	}
	if o.Logger == nil {
		o.Logger = slog.New(discardHandler{})
	}
	return o, nil
}

// discardHandler is a silent slog.Handler.
type discardHandler struct{}

func (discardHandler) Enabled(context.Context, slog.Level) bool  { return false }
func (discardHandler) Handle(context.Context, slog.Record) error { return nil }
func (d discardHandler) WithAttrs([]slog.Attr) slog.Handler      { return d }
func (d discardHandler) WithGroup(string) slog.Handler           { return d }
