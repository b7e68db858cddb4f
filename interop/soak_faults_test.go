package interop

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

// chaosProxy is an embedded Toxiproxy between the client and the soak
// server.
type chaosProxy struct {
	proxy *toxiproxy.Proxy
}

// startProxy starts a proxy on a free loopback port forwarding to
// upstream. It is stopped when t ends.
func startProxy(t *testing.T, upstream string) *chaosProxy {
	t.Helper()
	srv := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), zerolog.Nop())
	p := toxiproxy.NewProxy(srv, "soak", "127.0.0.1:0", upstream)
	if err := p.Start(); err != nil {
		t.Fatalf("starting toxiproxy: %v", err)
	}
	t.Cleanup(p.Stop)
	return &chaosProxy{proxy: p}
}

func (c *chaosProxy) addr() string { return c.proxy.Listen }

// fault is one scheduled fault: what it is, for the log, and how to start
// and end it.
type fault struct {
	name  string
	hold  time.Duration
	start func() error
	end   func() error
}

// faultKinds are the kinds a schedule draws from, each equally likely.
var faultKinds = []string{
	"reset_peer", "timeout0", "limit_data", "latency", "bandwidth",
	"slicer", "slow_close", "proxy_disabled", "server_restart",
}

// schedule draws n faults from rng. restart kills the server and starts it
// again on its port (the hold is the downtime).
func (c *chaosProxy) schedule(rng *rand.Rand, n int, restart func(down time.Duration)) []fault {
	between := func(lo, hi int) int { return lo + rng.IntN(hi-lo+1) }
	stream := func() string { return [2]string{"upstream", "downstream"}[rng.IntN(2)] }
	ms := func(lo, hi int) time.Duration { return time.Duration(between(lo, hi)) * time.Millisecond }
	var out []fault
	for i := range n {
		kind := faultKinds[rng.IntN(len(faultKinds))]
		// Every kind runs at least once when there are enough faults.
		if n >= len(faultKinds) && i < len(faultKinds) {
			kind = faultKinds[i]
		}
		name := fmt.Sprintf("f%d", i)
		switch kind {
		case "reset_peer":
			out = append(out, c.toxic(name, "reset_peer", stream(), `{"timeout":0}`, ms(20, 200)))
		case "timeout0":
			// A black hole: nothing comes back and nothing is closed.
			// Only the heartbeat can notice, so it lasts longer than the
			// heartbeat's interval plus timeout.
			out = append(out, c.toxic(name, "timeout", "downstream", `{"timeout":0}`, ms(1500, 2500)))
		case "limit_data":
			out = append(out, c.toxic(name, "limit_data", stream(), fmt.Sprintf(`{"bytes":%d}`, between(64, 4096)), ms(50, 300)))
		case "latency":
			out = append(out, c.toxic(name, "latency", stream(), fmt.Sprintf(`{"latency":%d,"jitter":%d}`, between(20, 150), between(0, 50)), ms(200, 800)))
		case "bandwidth":
			// At least 64 KB/s, and slices of at least 8 bytes every 200 µs
			// (40 KB/s) below: what was written in time must still arrive
			// well within the at-most-once soak's age slack.
			out = append(out, c.toxic(name, "bandwidth", stream(), fmt.Sprintf(`{"rate":%d}`, between(64, 512)), ms(200, 800)))
		case "slicer":
			avg := between(8, 64)
			out = append(out, c.toxic(name, "slicer", stream(), fmt.Sprintf(`{"average_size":%d,"size_variation":%d,"delay":%d}`, avg, avg/2, between(0, 200)), ms(200, 800)))
		case "slow_close":
			// Slow closes matter when connections close: the server is
			// restarted while the toxic is on.
			f := c.toxic(name, "slow_close", stream(), fmt.Sprintf(`{"delay":%d}`, between(100, 500)), 0)
			down := ms(20, 200)
			start := f.start
			f.start = func() error {
				if err := start(); err != nil {
					return err
				}
				restart(down)
				return nil
			}
			f.name += " + server restart"
			out = append(out, f)
		case "proxy_disabled":
			out = append(out, fault{name: "proxy disabled", hold: ms(50, 500),
				start: func() error { c.proxy.Stop(); return nil },
				end:   c.proxy.Start})
		case "server_restart":
			down := ms(50, 500)
			out = append(out, fault{name: fmt.Sprintf("server restart (down %v)", down),
				start: func() error { restart(down); return nil },
				end:   func() error { return nil }})
		}
	}
	return out
}

// toxic is a fault that adds one toxic for hold.
func (c *chaosProxy) toxic(name, typ, stream, attrs string, hold time.Duration) fault {
	js := fmt.Sprintf(`{"name":%q,"type":%q,"stream":%q,"toxicity":1.0,"attributes":%s}`, name, typ, stream, attrs)
	return fault{
		name: fmt.Sprintf("%s %s %s for %v", typ, stream, attrs, hold),
		hold: hold,
		start: func() error {
			_, err := c.proxy.Toxics.AddToxicJson(strings.NewReader(js))
			return err
		},
		end: func() error { return c.proxy.Toxics.RemoveToxic(context.Background(), name) },
	}
}
