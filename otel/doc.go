// Package otel records a sturdy client.Client's session as OpenTelemetry
// metrics and traces. It is a module of its own
// (github.com/sturdyws/sturdy/otel), so sturdy itself keeps its three
// dependencies; import it under a name of your choosing, since
// go.opentelemetry.io/otel is called otel too:
//
//	import sturdyotel "github.com/sturdyws/sturdy/otel"
//
//	obs, err := sturdyotel.New(sturdyotel.Config{MeterProvider: mp, TracerProvider: tp})
//	c, err := client.Start(ctx, client.Options{URL: url, Observer: obs})
//
// # Metrics
//
// Every data point carries network.protocol.name="websocket" and
// Config.Attributes; those about a connection also carry server.address
// and server.port. Names follow OpenTelemetry's rules (dotted, lower
// case, the unit apart); the Prometheus exporter renders them with
// underscores, the unit and _total, as in the second column.
//
//	sturdy.client.state              gauge      sturdy_client_state                     1 for the current sturdy.client.state, 0 for the others
//	sturdy.client.connect.duration   histogram  sturdy_client_connect_duration_seconds  attempts, by outcome: error.type and sturdy.connect.phase on failures
//	sturdy.client.reconnects         counter    sturdy_client_reconnects_total          connections lost and replaced, by error.type and sturdy.close.code
//	sturdy.client.replay.delay       histogram  sturdy_client_replay_delay_seconds      loss of a connection to the first queued message on the next
//	sturdy.client.rtt                histogram  sturdy_client_rtt_seconds               heartbeat round trips
//	sturdy.client.queue.depth        updown     sturdy_client_queue_depth               messages queued, unacknowledged included
//	sturdy.client.queue.size         updown     sturdy_client_queue_size_bytes          their payload bytes
//	sturdy.client.messages           counter    sturdy_client_messages_total            data messages, by network.io.direction (transmit, receive)
//	sturdy.client.io                 counter    sturdy_client_io_bytes_total            their payload bytes, by network.io.direction
//	sturdy.client.dead_letters       counter    sturdy_client_dead_letters_total        messages not delivered, by sturdy.dead_letter.reason
//	sturdy.client.inbound.depth      updown     sturdy_client_inbound_depth             received messages waiting for Read
//	sturdy.client.inbound.size       updown     sturdy_client_inbound_size_bytes        their payload bytes
//	sturdy.client.inbound.dropped    counter    sturdy_client_inbound_dropped_total     received messages the inbound policy discarded
//
// Every attribute has a bounded set of values: error.type is a class of
// failure (abnormal_closure, heartbeat_timeout, timeout, server_close,
// protocol_error, handshake_status, on_connect, network, panic, canceled,
// _OTHER), never an error's text; sturdy.close.code is a code of RFC
// 6455's 1000–1015 or "3xxx", "4xxx", "other"; sturdy.connect.phase is
// endpoint, dial, tls, handshake or on_connect; sturdy.dead_letter.reason
// is expired, overflow, unconfirmed, closed or expired_unacked. No URL,
// path, query, header or user name is ever recorded: only the host, the
// port and the scheme.
//
// # Traces
//
// Each connection attempt is a span, sturdy.connect (kind client), with a
// child for each step it began: sturdy.dial, sturdy.tls (wss),
// sturdy.handshake, sturdy.on_connect, and sturdy.endpoint when
// Options.Endpoint failed. They are recorded when the attempt has ended,
// with its own timestamps, so they are roots: the supervisor that makes
// them has no request context. A failed attempt's span has status Error,
// error.type and sturdy.connect.phase. Each connection is a span,
// sturdy.connection, from its handshake to its end, linked to its
// attempt, with an event sturdy.replay when the queue was replayed on it
// and an event sturdy.drop (error.type, sturdy.close.code) when it was
// lost; it has status Error when the loss was not a close frame from the
// server, or when the session failed.
package otel
