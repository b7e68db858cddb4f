package otel_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/sturdyws/sturdy/heartbeat"
	sturdyotel "github.com/sturdyws/sturdy/otel"
)

// sdk is an Observer wired to the OpenTelemetry SDK's manual reader and
// span recorder.
type sdk struct {
	reader *sdkmetric.ManualReader
	spans  *tracetest.SpanRecorder
	obs    *sturdyotel.Observer
}

func newSDK(t *testing.T, attrs ...attribute.KeyValue) *sdk {
	t.Helper()
	s := &sdk{reader: sdkmetric.NewManualReader(), spans: tracetest.NewSpanRecorder()}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(s.reader))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(s.spans))
	t.Cleanup(func() {
		_ = mp.Shutdown(context.Background())
		_ = tp.Shutdown(context.Background())
	})
	var err error
	s.obs, err = sturdyotel.New(sturdyotel.Config{MeterProvider: mp, TracerProvider: tp, Attributes: attrs})
	require.NoError(t, err)
	return s
}

// points collects the metrics and renders every data point as
// "name{k=v,...} value", sorted, so a test compares them exactly. A
// histogram's value is "count=N" (its durations vary run to run), or
// with sums "count=N sum=S" when withSum names it.
func (s *sdk) points(t *testing.T, withSum ...string) []string {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, s.reader.Collect(context.Background(), &rm))
	var out []string
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					out = append(out, fmt.Sprintf("%s{%s} %d", m.Name, attrs(p.Attributes), p.Value))
				}
			case metricdata.Gauge[int64]:
				for _, p := range d.DataPoints {
					out = append(out, fmt.Sprintf("%s{%s} %d", m.Name, attrs(p.Attributes), p.Value))
				}
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					v := fmt.Sprintf("count=%d", p.Count)
					if slices.Contains(withSum, m.Name) {
						v += fmt.Sprintf(" sum=%g", p.Sum)
					}
					out = append(out, fmt.Sprintf("%s{%s} %s", m.Name, attrs(p.Attributes), v))
				}
			default:
				t.Fatalf("metric %s has unexpected data %T", m.Name, m.Data)
			}
		}
	}
	slices.Sort(out)
	return out
}

// attrs renders an attribute set as k=v pairs in key order.
func attrs(set attribute.Set) string {
	var kv []string
	for _, a := range set.ToSlice() {
		kv = append(kv, string(a.Key)+"="+a.Value.String())
	}
	return strings.Join(kv, ",")
}

// spanLine renders an ended span: name, status, the attributes that do
// not vary between runs, and its events with theirs.
func spanLine(s sdktrace.ReadOnlySpan, skip ...attribute.Key) string {
	var kv []string
	for _, a := range s.Attributes() {
		if !slices.Contains(skip, a.Key) {
			kv = append(kv, string(a.Key)+"="+a.Value.String())
		}
	}
	slices.Sort(kv)
	line := s.Name() + "{" + strings.Join(kv, ",") + "} " + s.Status().Code.String()
	for _, e := range s.Events() {
		var ekv []string
		for _, a := range e.Attributes {
			if !slices.Contains(skip, a.Key) {
				ekv = append(ekv, string(a.Key)+"="+a.Value.String())
			}
		}
		slices.Sort(ekv)
		line += " +" + e.Name + "{" + strings.Join(ekv, ",") + "}"
	}
	return line
}

// testCtx bounds a test's waits so a bug fails the test instead of hanging it.
func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func constant(d time.Duration) backoff.BackOff { return backoff.NewConstantBackOff(d) }

func heartbeatEvery(d time.Duration) heartbeat.Options {
	return heartbeat.Options{Interval: d, Timeout: 10 * time.Second}
}
