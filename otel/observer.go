package otel

import (
	"context"
	"errors"
	"sync"
	"time"

	gootel "go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/sturdyws/sturdy/client"
	"github.com/sturdyws/sturdy/transport"
)

// ScopeName is the instrumentation scope of the meter and the tracer.
const ScopeName = "github.com/sturdyws/sturdy/otel"

// Config configures an Observer. The zero value uses the global providers
// (go.opentelemetry.io/otel's GetMeterProvider and GetTracerProvider).
type Config struct {
	// MeterProvider makes the instruments. nil: the global one.
	MeterProvider metric.MeterProvider
	// TracerProvider makes the spans. nil: the global one.
	TracerProvider trace.TracerProvider
	// Attributes are added to every data point and span, to tell the
	// Clients of one process apart (a name such as
	// attribute.String("sturdy.client.name", "orders")). Keep them few and
	// fixed: each distinct set is a time series of every instrument.
	// Never put a URL, a token or a user id here.
	Attributes []attribute.KeyValue
}

// Observer is a client.Observer that records a Client's session as
// OpenTelemetry metrics and traces. Give each Client its own: it reports
// the gauges of the one Client that Started it. It is safe for
// concurrent use; the calls made for every message allocate nothing.
type Observer struct {
	tracer trace.Tracer
	inst   instruments
	base   []attribute.KeyValue // network.protocol.name and Config.Attributes

	tx, rx traffic // the per-message counts, observed at collection

	// Options built once, so the per-event calls allocate nothing.
	rec  []metric.RecordOption
	dead [numReasons][]metric.AddOption

	mu      sync.Mutex
	started bool
	reg     metric.Registration // the gauges' callback, once Started
	server  []attribute.KeyValue
	conn    trace.Span // the live connection's span; nil between connections
}

// numReasons bounds the client.DropReason values the Observer keeps
// options for; later reasons get theirs built on the spot.
const numReasons = 8

// New makes the instruments and returns an Observer for one Client: put
// it in client.Options.Observer.
func New(cfg Config) (*Observer, error) {
	mp, tp := cfg.MeterProvider, cfg.TracerProvider
	if mp == nil {
		mp = gootel.GetMeterProvider()
	}
	if tp == nil {
		tp = gootel.GetTracerProvider()
	}
	meter := mp.Meter(ScopeName, metric.WithSchemaURL(semconv.SchemaURL))
	o := &Observer{
		tracer: tp.Tracer(ScopeName, trace.WithSchemaURL(semconv.SchemaURL)),
		base:   append([]attribute.KeyValue{semconv.NetworkProtocolName("websocket")}, cfg.Attributes...),
	}
	var err error
	if o.inst, err = newInstruments(meter); err != nil {
		return nil, err
	}
	o.rec = []metric.RecordOption{metric.WithAttributeSet(attribute.NewSet(o.base...))}
	for r := range o.dead {
		o.dead[r] = addOpts(o.with(reasonAttr(client.DropReason(r))))
	}
	return o, nil
}

// with returns the base attributes and kvs, in a new slice.
func (o *Observer) with(kvs ...attribute.KeyValue) []attribute.KeyValue {
	return append(append(make([]attribute.KeyValue, 0, len(o.base)+len(kvs)), o.base...), kvs...)
}

func addOpts(kvs []attribute.KeyValue) []metric.AddOption {
	return []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(kvs...))}
}

// reasonAttr is sturdy.dead_letter.reason: expired, overflow,
// unconfirmed, closed, expired_unacked.
func reasonAttr(r client.DropReason) attribute.KeyValue {
	return attrDeadLetterReason.String(snake(r.String()))
}

// Close stops reporting what is read at collection: the Client's state,
// queue and inbound backlog, and its message and byte counts. Call it
// once the Client is closed and its last values no longer matter; a
// program with one long-lived Client need not.
func (o *Observer) Close() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.reg == nil {
		return nil
	}
	err := o.reg.Unregister()
	o.reg = nil
	return err
}

var errStartedTwice = errors.New("sturdy/otel: one Observer was given to two Clients; the second is not observed")

// Started registers the callback that reports c's gauges. It implements
// client.Observer.
func (o *Observer) Started(c *client.Client) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.started {
		gootel.Handle(errStartedTwice)
		return
	}
	o.started = true
	reg, err := o.inst.observe(c, o.base, &o.tx, &o.rx)
	if err != nil {
		gootel.Handle(err)
		return
	}
	o.reg = reg
}

// MessagesSent implements client.Observer: two atomic adds.
func (o *Observer) MessagesSent(messages, bytes int) {
	o.tx.messages.Add(int64(messages))
	o.tx.bytes.Add(int64(bytes))
}

// MessageReceived implements client.Observer: two atomic adds.
func (o *Observer) MessageReceived(_ transport.MessageType, bytes int) {
	o.rx.messages.Add(1)
	o.rx.bytes.Add(int64(bytes))
}

// RTT implements client.Observer.
func (o *Observer) RTT(d time.Duration) {
	o.inst.rtt.Record(context.Background(), d.Seconds(), o.rec...)
}

// DeadLetter implements client.Observer.
func (o *Observer) DeadLetter(reason client.DropReason, _ int) {
	var opts []metric.AddOption
	if reason >= 0 && int(reason) < len(o.dead) {
		opts = o.dead[reason]
	} else {
		opts = addOpts(o.with(reasonAttr(reason)))
	}
	o.inst.deadLetters.Add(context.Background(), 1, opts...)
}

// Replayed implements client.Observer.
func (o *Observer) Replayed(r client.Replay) {
	o.inst.replayDelay.Record(context.Background(), r.Down.Seconds(), o.rec...)
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.conn != nil {
		o.conn.AddEvent("sturdy.replay", trace.WithAttributes(
			attrReplayMessages.Int(r.Messages),
			attrReplayBytes.Int64(r.Bytes),
			attrReplayDown.Float64(r.Down.Seconds()),
		))
	}
}

// ConnectAttempt implements client.Observer: a data point of
// sturdy.client.connect.duration and a span with one child per step.
func (o *Observer) ConnectAttempt(a client.ConnectAttempt) {
	var server []attribute.KeyValue
	if a.Host != "" {
		server = []attribute.KeyValue{semconv.ServerAddress(a.Host), semconv.ServerPort(a.Port)}
	}
	attrs := o.with(server...)
	attrs = append(attrs, failure(a)...)
	o.inst.connectDuration.Record(context.Background(), a.Duration().Seconds(),
		metric.WithAttributeSet(attribute.NewSet(attrs...)))
	span := o.attemptSpan(a, server)
	if a.Err != nil {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.server = server
	if o.conn != nil {
		o.conn.End() // not reached: a connection ends before the next attempt
	}
	_, o.conn = o.tracer.Start(context.Background(), SpanConnection,
		trace.WithTimestamp(a.End),
		trace.WithSpanKind(trace.SpanKindClient),
		trace.WithLinks(trace.Link{SpanContext: span.SpanContext()}),
		trace.WithAttributes(o.with(append(server, attrConn.Int64(int64(a.Conn)))...)...))
}

// StateChanged implements client.Observer: the end of a connection ends
// its span, and a connection lost to be replaced counts in
// sturdy.client.reconnects.
func (o *Observer) StateChanged(ch client.StateChange) {
	if ch.From != client.Connected {
		return
	}
	class, code := cause(ch.Cause)
	o.mu.Lock()
	defer o.mu.Unlock()
	var why []attribute.KeyValue // the event's: error.type, sturdy.close.code
	if class != "" {
		why = append(why, semconv.ErrorTypeKey.String(class))
	}
	if code != "" {
		why = append(why, attrCloseCode.String(code))
	}
	if ch.To == client.Reconnecting {
		kvs := append(o.with(o.server...), why...)
		o.inst.reconnects.Add(context.Background(), 1, metric.WithAttributeSet(attribute.NewSet(kvs...)))
	}
	if o.conn == nil {
		return
	}
	if class != causeCanceled {
		o.conn.AddEvent("sturdy.drop", trace.WithTimestamp(ch.At), trace.WithAttributes(why...))
		if ch.To == client.Failed || class != causeServerClose {
			o.conn.SetStatus(errorStatus(class))
		}
	}
	o.conn.End(trace.WithTimestamp(ch.At))
	o.conn = nil
}
