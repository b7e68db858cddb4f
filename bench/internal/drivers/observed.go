package drivers

import (
	"context"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/sturdyws/sturdy/client"
	sturdyotel "github.com/sturdyws/sturdy/otel"
)

// Observed says which client.Observer the Client driver runs with, for
// -observers: the cost of the hook, set against unset.
type Observed int

const (
	// ObservedNone: no Observer, the default Client.
	ObservedNone Observed = iota
	// ObservedNop: client.NopObserver, so the hook is set and every event
	// makes its call, which does nothing: what the hook itself costs.
	ObservedNop
	// ObservedOTel: the OpenTelemetry adapter (github.com/sturdyws/sturdy/otel)
	// recording into the SDK's MeterProvider (a manual reader, as an
	// exporter that scrapes between runs would hold it) and TracerProvider
	// (spans sampled, kept by no processor): the adapter's whole cost.
	ObservedOTel
	// ObservedControl: no Observer, under another name: an identical copy
	// of the default Client, whose gap to it is the resolution of the
	// comparison.
	ObservedControl
)

func (o Observed) suffix() string {
	return [...]string{"", "-nop", "-otel", "-control"}[o]
}

// Observers returns the Client drivers -observers adds.
func Observers() []Driver {
	return []Driver{Client{Observer: ObservedNop}, Client{Observer: ObservedOTel}, Client{Observer: ObservedControl}}
}

// observer returns the Observer for one Client and what releases it.
func (o Observed) observer() (client.Observer, func(), error) {
	switch o {
	case ObservedNop:
		return client.NopObserver{}, func() {}, nil
	case ObservedOTel:
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
		tp := sdktrace.NewTracerProvider()
		done := func() {
			_ = mp.Shutdown(context.Background())
			_ = tp.Shutdown(context.Background())
		}
		obs, err := sturdyotel.New(sturdyotel.Config{MeterProvider: mp, TracerProvider: tp})
		if err != nil {
			done()
			return nil, nil, err
		}
		return obs, func() { _ = obs.Close(); done() }, nil
	}
	return nil, func() {}, nil
}
