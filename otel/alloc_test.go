package otel_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	gootel "go.opentelemetry.io/otel"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/sturdyws/sturdy/client"
	sturdyotel "github.com/sturdyws/sturdy/otel"
	"github.com/sturdyws/sturdy/transport"
	"github.com/sturdyws/sturdy/wstest"
)

// TestPerMessageCallsAllocateNothing: what the Client calls for every
// message and every round trip records into the SDK without allocating,
// once each attribute set has its first data point.
func TestPerMessageCallsAllocateNothing(t *testing.T) {
	s := newSDK(t)
	calls := func() {
		s.obs.MessagesSent(3, 192)
		s.obs.MessageReceived(transport.MessageBinary, 64)
		s.obs.RTT(250 * time.Microsecond)
		s.obs.DeadLetter(client.ReasonOverflow, 64)
	}
	calls() // the first data point of each set allocates it
	assert.Zero(t, testing.AllocsPerRun(1000, calls))
}

// TestCloseStopsGauges: after Close the Client's gauges are no longer
// reported; a second Client given the same Observer is refused, through
// OpenTelemetry's error handler, and does not replace the first.
func TestCloseStopsGauges(t *testing.T) {
	ctx := testCtx(t)
	srv := wstest.Start(t, wstest.Options{})
	s := newSDK(t)
	var handled []error
	prev := gootel.GetErrorHandler()
	gootel.SetErrorHandler(gootel.ErrorHandlerFunc(func(err error) { handled = append(handled, err) }))
	t.Cleanup(func() { gootel.SetErrorHandler(prev) })

	c, err := client.Start(ctx, client.Options{URL: srv.URL(), Observer: s.obs})
	require.NoError(t, err)
	require.NoError(t, c.WaitConnected(ctx))
	c2, err := client.Start(ctx, client.Options{URL: srv.URL(), Observer: s.obs, DisableHeartbeat: true})
	require.NoError(t, err)
	require.NoError(t, c2.Close())
	require.Len(t, handled, 1)
	assert.Contains(t, handled[0].Error(), "two Clients")
	assert.Contains(t, s.points(t), "sturdy.client.state{network.protocol.name=websocket,sturdy.client.state=connected} 1",
		"the first Client's state, not the second's")

	require.NoError(t, c.Close())
	require.NoError(t, s.obs.Close())
	for _, p := range s.points(t) {
		assert.NotContains(t, p, "sturdy.client.state", "no gauge after Close")
		assert.NotContains(t, p, "sturdy.client.queue", "no gauge after Close")
	}
}

// BenchmarkAdapterPerMessage is what the adapter costs a message each way
// (the reader's call, and the writer's for a batch of one), recording
// into the SDK.
func BenchmarkAdapterPerMessage(b *testing.B) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer func() { _ = mp.Shutdown(context.Background()) }()
	obs, err := sturdyotel.New(sturdyotel.Config{MeterProvider: mp})
	require.NoError(b, err)
	b.ReportAllocs()
	for b.Loop() {
		obs.MessageReceived(transport.MessageBinary, 64)
		obs.MessagesSent(1, 64)
	}
}
