package otel

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"unicode"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"github.com/sturdyws/sturdy/client"
)

// Attributes of sturdy's own, where the semantic conventions have none.
const (
	attrState            = attribute.Key("sturdy.client.state")
	attrPhase            = attribute.Key("sturdy.connect.phase")
	attrCloseCode        = attribute.Key("sturdy.close.code")
	attrDeadLetterReason = attribute.Key("sturdy.dead_letter.reason")
	attrConn             = attribute.Key("sturdy.connection.ordinal") // spans only
	attrReplayMessages   = attribute.Key("sturdy.replay.messages")    // spans only
	attrReplayBytes      = attribute.Key("sturdy.replay.bytes")       // spans only
	attrReplayDown       = attribute.Key("sturdy.replay.down")        // spans only, seconds
)

// The instruments' names, as OpenTelemetry names them. The Prometheus
// exporter turns dots into underscores and adds the unit and _total:
// sturdy.client.connect.duration is sturdy_client_connect_duration_seconds.
const (
	NameState           = "sturdy.client.state"
	NameConnectDuration = "sturdy.client.connect.duration"
	NameReconnects      = "sturdy.client.reconnects"
	NameReplayDelay     = "sturdy.client.replay.delay"
	NameRTT             = "sturdy.client.rtt"
	NameQueueDepth      = "sturdy.client.queue.depth"
	NameQueueSize       = "sturdy.client.queue.size"
	NameMessages        = "sturdy.client.messages"
	NameIO              = "sturdy.client.io"
	NameDeadLetters     = "sturdy.client.dead_letters"
	NameInboundDepth    = "sturdy.client.inbound.depth"
	NameInboundSize     = "sturdy.client.inbound.size"
	NameInboundDropped  = "sturdy.client.inbound.dropped"
)

// Bucket boundaries, in seconds: a connect takes from a millisecond on
// loopback to tens of seconds through a slow TLS proxy; a round trip from
// well under a millisecond to seconds on a congested link; a replay waits
// as long as the outage and the backoff last.
var (
	connectBuckets = []float64{0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}
	rttBuckets     = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}
	replayBuckets  = []float64{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300}
)

// instruments are an Observer's metrics.
type instruments struct {
	meter           metric.Meter
	connectDuration metric.Float64Histogram
	reconnects      metric.Int64Counter
	replayDelay     metric.Float64Histogram
	rtt             metric.Float64Histogram
	deadLetters     metric.Int64Counter

	// Counted per message into atomics (see traffic) and observed at
	// collection: an SDK Add per message would cost the Client more
	// than the rest of its read path.
	messages metric.Int64ObservableCounter
	io       metric.Int64ObservableCounter

	state          metric.Int64ObservableGauge
	queueDepth     metric.Int64ObservableUpDownCounter
	queueSize      metric.Int64ObservableUpDownCounter
	inboundDepth   metric.Int64ObservableUpDownCounter
	inboundSize    metric.Int64ObservableUpDownCounter
	inboundDropped metric.Int64ObservableCounter
}

func newInstruments(m metric.Meter) (instruments, error) {
	in := instruments{meter: m}
	var errs [14]error
	in.connectDuration, errs[0] = m.Float64Histogram(NameConnectDuration, metric.WithUnit("s"),
		metric.WithDescription("Duration of connection attempts, from the Endpoint call to OnConnect's return or the failure; error.type and sturdy.connect.phase on failures."),
		metric.WithExplicitBucketBoundaries(connectBuckets...))
	in.reconnects, errs[1] = m.Int64Counter(NameReconnects, metric.WithUnit("{reconnect}"),
		metric.WithDescription("Connections lost and set to be replaced, by error.type (the cause's class) and sturdy.close.code."))
	in.replayDelay, errs[2] = m.Float64Histogram(NameReplayDelay, metric.WithUnit("s"),
		metric.WithDescription("Time from a connection's loss to the first queued message flushed on the next one, for reconnects that had messages waiting."),
		metric.WithExplicitBucketBoundaries(replayBuckets...))
	in.rtt, errs[3] = m.Float64Histogram(NameRTT, metric.WithUnit("s"),
		metric.WithDescription("Heartbeat round-trip times."),
		metric.WithExplicitBucketBoundaries(rttBuckets...))
	in.messages, errs[4] = m.Int64ObservableCounter(NameMessages, metric.WithUnit("{message}"),
		metric.WithDescription("Data messages written from the queue (transmit) and read from the connection (receive), by network.io.direction."))
	in.io, errs[5] = m.Int64ObservableCounter(NameIO, metric.WithUnit("By"),
		metric.WithDescription("Payload bytes of the data messages written and read, by network.io.direction."))
	in.deadLetters, errs[6] = m.Int64Counter(NameDeadLetters, metric.WithUnit("{message}"),
		metric.WithDescription("Messages that left the queue undelivered, by sturdy.dead_letter.reason."))
	in.state, errs[7] = m.Int64ObservableGauge(NameState, metric.WithUnit("{state}"),
		metric.WithDescription("1 for the session's current sturdy.client.state (connecting, connected, reconnecting, closed, failed), 0 for the others."))
	in.queueDepth, errs[8] = m.Int64ObservableUpDownCounter(NameQueueDepth, metric.WithUnit("{message}"),
		metric.WithDescription("Messages in the outbound queue, sent but unacknowledged ones included."))
	in.queueSize, errs[9] = m.Int64ObservableUpDownCounter(NameQueueSize, metric.WithUnit("By"),
		metric.WithDescription("Payload bytes in the outbound queue."))
	in.inboundDepth, errs[10] = m.Int64ObservableUpDownCounter(NameInboundDepth, metric.WithUnit("{message}"),
		metric.WithDescription("Received messages waiting for Read."))
	in.inboundSize, errs[11] = m.Int64ObservableUpDownCounter(NameInboundSize, metric.WithUnit("By"),
		metric.WithDescription("Payload bytes of the received messages waiting for Read."))
	in.inboundDropped, errs[12] = m.Int64ObservableCounter(NameInboundDropped, metric.WithUnit("{message}"),
		metric.WithDescription("Received messages the inbound policy discarded because the program did not read them in time."))
	return in, errors.Join(errs[:]...)
}

// states are the values of sturdy.client.state, one attribute set each.
var states = []client.State{client.Connecting, client.Connected, client.Reconnecting, client.Closed, client.Failed}

// traffic counts the data messages of one direction and their bytes.
// Each direction has one writer goroutine (the Client's writer, or its
// reader); the padding keeps the two off one cache line.
type traffic struct {
	messages, bytes atomic.Int64
	_               [48]byte
}

// observe registers the callback that reports c's Stats and the traffic
// counts at every collection.
func (in *instruments) observe(c *client.Client, base []attribute.KeyValue, tx, rx *traffic) (metric.Registration, error) {
	plain := metric.WithAttributeSet(attribute.NewSet(base...))
	dir := func(kv attribute.KeyValue) metric.ObserveOption {
		return metric.WithAttributeSet(attribute.NewSet(append(append([]attribute.KeyValue(nil), base...), kv)...))
	}
	txOpt, rxOpt := dir(semconv.NetworkIODirectionTransmit), dir(semconv.NetworkIODirectionReceive)
	byState := make([]metric.ObserveOption, len(states))
	for i, s := range states {
		kvs := append(append([]attribute.KeyValue(nil), base...), attrState.String(snake(s.String())))
		byState[i] = metric.WithAttributeSet(attribute.NewSet(kvs...))
	}
	return in.meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		s := c.Stats()
		for i, st := range states {
			v := int64(0)
			if s.State == st {
				v = 1
			}
			o.ObserveInt64(in.state, v, byState[i])
		}
		o.ObserveInt64(in.queueDepth, int64(s.QueueDepth), plain)
		o.ObserveInt64(in.queueSize, s.QueueBytes, plain)
		o.ObserveInt64(in.inboundDepth, int64(s.InboundDepth), plain)
		o.ObserveInt64(in.inboundSize, s.InboundBytes, plain)
		o.ObserveInt64(in.inboundDropped, int64(s.InboundDropped), plain)
		o.ObserveInt64(in.messages, tx.messages.Load(), txOpt)
		o.ObserveInt64(in.io, tx.bytes.Load(), txOpt)
		o.ObserveInt64(in.messages, rx.messages.Load(), rxOpt)
		o.ObserveInt64(in.io, rx.bytes.Load(), rxOpt)
		return nil
	}, in.state, in.queueDepth, in.queueSize, in.inboundDepth, in.inboundSize, in.inboundDropped, in.messages, in.io)
}

// snake turns a Go name into an attribute value: ExpiredUnacked is
// expired_unacked.
func snake(s string) string {
	var b strings.Builder
	for i, r := range s {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte('_')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}
