package otel

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/sturdyws/sturdy/client"
)

// Span names. They are fixed, so a backend groups them; the server and
// the outcome are attributes.
const (
	SpanConnect    = "sturdy.connect"    // one connection attempt
	SpanEndpoint   = "sturdy.endpoint"   // its Options.Endpoint call, when that failed
	SpanDial       = "sturdy.dial"       // its TCP dial
	SpanTLS        = "sturdy.tls"        // its TLS handshake (wss)
	SpanHandshake  = "sturdy.handshake"  // its WebSocket opening handshake
	SpanOnConnect  = "sturdy.on_connect" // its Options.OnConnect
	SpanConnection = "sturdy.connection" // a connection's life, with sturdy.replay and sturdy.drop events
)

// attemptSpan records an attempt that has ended as a span with a child
// for each step it began, all with the attempt's own timestamps, and
// returns the parent.
func (o *Observer) attemptSpan(a client.ConnectAttempt, server []attribute.KeyValue) trace.Span {
	kvs := o.with(server...)
	if a.Scheme != "" {
		kvs = append(kvs, semconv.URLScheme(a.Scheme))
	}
	ctx, span := o.tracer.Start(context.Background(), SpanConnect,
		trace.WithTimestamp(a.Start),
		trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(kvs...))
	var class string
	if a.Err != nil {
		why := failure(a)
		class = why[0].Value.AsString()
		span.SetAttributes(why...)
		// The class, not the error's text: that names the URL's path,
		// which may hold a token.
		span.SetStatus(codes.Error, class)
	}
	// Each step runs from the end of the one before to its own end, or to
	// the attempt's end when it is the one that failed.
	step := func(name string, phase client.Phase, from, to time.Time) time.Time {
		if from.IsZero() {
			return from
		}
		if to.IsZero() {
			if a.Failed != phase {
				return to
			}
			to = a.End
		}
		_, s := o.tracer.Start(ctx, name, trace.WithTimestamp(from))
		if a.Failed == phase {
			s.SetAttributes(semconv.ErrorTypeKey.String(class))
			s.SetStatus(codes.Error, class)
		}
		s.End(trace.WithTimestamp(to))
		return to
	}
	if a.Failed == client.PhaseEndpoint {
		// Otherwise the Endpoint call is the time before sturdy.dial.
		step(SpanEndpoint, client.PhaseEndpoint, a.Start, a.Dialing)
	}
	t := step(SpanDial, client.PhaseDial, a.Dialing, a.Dialed)
	if a.Scheme == "wss" {
		t = step(SpanTLS, client.PhaseTLS, t, a.Secured)
	}
	t = step(SpanHandshake, client.PhaseHandshake, t, a.Upgraded)
	step(SpanOnConnect, client.PhaseOnConnect, t, a.End)
	span.End(trace.WithTimestamp(a.End))
	return span
}

// errorStatus is the status of a connection span that ended on a failure.
func errorStatus(class string) (codes.Code, string) { return codes.Error, class }
