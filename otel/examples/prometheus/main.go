// Prometheus runs a sturdy Client observed by the OpenTelemetry adapter
// and serves its metrics for Prometheus to scrape, through the
// OpenTelemetry Prometheus exporter. It sends a message every -every and
// reads the reply, against -url or an embedded echo server, until
// interrupted.
//
//	go run ./examples/prometheus -listen 127.0.0.1:9464
//	curl -s http://127.0.0.1:9464/metrics | grep sturdy_
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/attribute"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/sturdyws/sturdy/client"
	sturdyotel "github.com/sturdyws/sturdy/otel"
	"github.com/sturdyws/sturdy/transport"
	"github.com/sturdyws/sturdy/wstest"
)

func main() {
	url := flag.String("url", "", "WebSocket echo server (default: an embedded one)")
	listen := flag.String("listen", "127.0.0.1:9464", "address to serve /metrics on")
	every := flag.Duration("every", time.Second, "time between messages")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *url, *listen, *every); err != nil {
		log.Fatal(err)
	}
}

// run serves /metrics and keeps the Client busy until ctx ends.
func run(ctx context.Context, url, listen string, every time.Duration) error {
	if url == "" {
		srv, err := wstest.NewServer(wstest.Options{Default: wstest.Echo()})
		if err != nil {
			return err
		}
		defer srv.Close()
		url = srv.URL()
	}

	// The exporter is a metric reader: the MeterProvider collects into it
	// at every scrape. A registry of its own keeps the Go runtime's
	// default collectors out of this example's output.
	reg := prometheus.NewRegistry()
	exporter, err := otelprom.New(otelprom.WithRegisterer(reg), otelprom.WithoutScopeInfo())
	if err != nil {
		return err
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter))
	defer mp.Shutdown(context.Background())
	obs, err := sturdyotel.New(sturdyotel.Config{
		MeterProvider: mp,
		Attributes:    []attribute.KeyValue{attribute.String("sturdy.client.name", "echo")},
	})
	if err != nil {
		return err
	}
	defer obs.Close()

	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	fmt.Printf("metrics on http://%s/metrics\n", ln.Addr())

	c, err := client.Start(ctx, client.Options{URL: url, Observer: obs})
	if err != nil {
		_ = hs.Close()
		return err
	}
	err = converse(ctx, c, every)
	cerr := c.Close()
	if errors.Is(cerr, client.ErrUndelivered) {
		cerr = nil // what was queued when interrupted
	}
	_ = hs.Shutdown(context.Background())
	if serr := <-served; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	return errors.Join(err, cerr)
}

// converse sends a message every interval and reads the replies until ctx
// ends; the session's failure is an error.
func converse(ctx context.Context, c *client.Client, every time.Duration) error {
	// The reader: replies are counted by the observer as they arrive.
	rctx, cancel := context.WithCancel(ctx)
	read := make(chan struct{})
	go func() {
		defer close(read)
		for {
			if _, err := c.Read(rctx); err != nil {
				return
			}
		}
	}()
	defer func() { cancel(); <-read }()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-c.Done():
			return c.Err()
		case <-t.C:
			if _, err := c.Send(ctx, transport.MessageText, []byte("ping")); err != nil && ctx.Err() == nil {
				return err
			}
		}
	}
}
