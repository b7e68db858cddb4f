package otel_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/sturdyws/sturdy/client"
	"github.com/sturdyws/sturdy/wstest"
)

// TestFailedAttemptsKeepSecretsOut: attempts refused at the handshake and
// failed in TLS are recorded with their class and step, and nothing of the
// URL but its host, port and scheme reaches a data point or a span, even
// when the URL carries user info, a secret path and a query token.
func TestFailedAttemptsKeepSecretsOut(t *testing.T) {
	ctx := testCtx(t)
	srv := wstest.Start(t, wstest.Options{})
	srv.RejectNext(1, http.StatusServiceUnavailable, nil)
	s := newSDK(t)
	hostPort := srv.Addr().String()
	urls := []string{
		"ws://alice:hunter2@" + hostPort + "/secret-path?token=s3cr3t", // refused with 503, then accepted
	}
	c, err := client.Start(ctx, client.Options{
		URL:      urls[0],
		Observer: s.obs,
		Backoff:  constant(time.Millisecond),
	})
	require.NoError(t, err)
	require.NoError(t, c.WaitConnected(ctx))
	require.NoError(t, c.Close())

	// A wss URL against a plain server fails in TLS.
	s2 := newSDK(t)
	c2, err := client.Start(ctx, client.Options{
		URL:              "wss://alice:hunter2@" + hostPort + "/secret-path?token=s3cr3t",
		Observer:         s2.obs,
		FailFirstAttempt: true,
	})
	require.NoError(t, err)
	<-c2.Done()
	require.ErrorIs(t, c2.Err(), client.ErrFailed)
	require.NoError(t, c2.Close())

	points := s.points(t)
	assert.Contains(t, points, "sturdy.client.connect.duration{error.type=handshake_status,http.response.status_code=503,network.protocol.name=websocket,server.address=127.0.0.1,server.port="+port(hostPort)+",sturdy.connect.phase=handshake} count=1")
	assert.Contains(t, points, "sturdy.client.connect.duration{network.protocol.name=websocket,server.address=127.0.0.1,server.port="+port(hostPort)+"} count=1")
	assert.Contains(t, s2.points(t), "sturdy.client.connect.duration{error.type=tls,network.protocol.name=websocket,server.address=127.0.0.1,server.port="+port(hostPort)+",sturdy.connect.phase=tls} count=1")

	var failed []string
	for _, rec := range []*sdk{s, s2} {
		for _, sp := range rec.spans.Ended() {
			text := spanLine(sp) + " " + sp.Status().Description
			for _, secret := range []string{"alice", "hunter2", "secret-path", "s3cr3t", "token"} {
				assert.NotContains(t, text, secret, "span %s", sp.Name())
			}
			if sp.Status().Code == codes.Error {
				failed = append(failed, sp.Name())
			}
		}
		var rm metricdata.ResourceMetrics
		require.NoError(t, rec.reader.Collect(context.Background(), &rm))
		for _, p := range rec.points(t) {
			for _, secret := range []string{"alice", "hunter2", "secret-path", "s3cr3t", "token"} {
				assert.NotContains(t, p, secret)
			}
		}
	}
	assert.Equal(t, []string{"sturdy.handshake", "sturdy.connect", "sturdy.tls", "sturdy.connect"}, failed,
		"the failed step and its attempt")
}

func port(hostPort string) string { return hostPort[strings.LastIndexByte(hostPort, ':')+1:] }

// TestRTTHistogram: with the heartbeat on, round trips reach the RTT
// histogram.
func TestRTTHistogram(t *testing.T) {
	ctx := testCtx(t)
	srv := wstest.Start(t, wstest.Options{})
	s := newSDK(t)
	c, err := client.Start(ctx, client.Options{
		URL:       srv.URL(),
		Observer:  s.obs,
		Heartbeat: heartbeatEvery(5 * time.Millisecond),
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	// Stats reports the monitor's first sample; the histogram has it by then.
	for c.Stats().LastRTT == 0 {
		select {
		case <-ctx.Done():
			require.FailNow(t, "no round trip measured")
		case <-time.After(time.Millisecond):
		}
	}
	var rm metricdata.ResourceMetrics
	require.NoError(t, s.reader.Collect(ctx, &rm))
	var count uint64
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == "sturdy.client.rtt" {
				h := m.Data.(metricdata.Histogram[float64])
				require.Len(t, h.DataPoints, 1)
				p := h.DataPoints[0]
				count = p.Count
				assert.Equal(t, attribute.NewSet(attribute.String("network.protocol.name", "websocket")), p.Attributes)
				assert.Positive(t, p.Sum)
				assert.Less(t, p.Sum/float64(p.Count), 10.0, "seconds, not nanoseconds")
			}
		}
	}
	assert.Positive(t, count)
}
