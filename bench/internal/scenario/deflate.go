package scenario

import (
	"context"
	"errors"
	"fmt"

	"github.com/sturdyws/sturdy/bench/internal/drivers"
	"github.com/sturdyws/sturdy/bench/internal/payload"
)

// The compressed scenarios: the libraries that implement
// permessage-deflate (drivers.Deflate), moving JSON-like messages
// (payload.JSON), against a server that accepts it with no context
// takeover either way (gorilla's only mode, so all three run), or, with
// Context, keeping both contexts (sturdy and coder). Each message is
// compressed by its sender and decompressed in full by its receiver; CPU
// per message is the client process's only.

// deflateSuffix names the mode in scenario names and server paths.
func deflateSuffix(context bool) string {
	if context {
		return "-deflate-ctx"
	}
	return "-deflate"
}

// deflateMode describes the mode.
func deflateMode(context bool) string {
	if context {
		return "context takeover"
	}
	return "no context takeover"
}

// PushDeflate is Push with compression: the server pushes Count
// compressed JSON-like text messages of Size bytes (compressed before the
// clock starts: the server says "ready" when they are), and the client
// decompresses, validates and reads them.
type PushDeflate struct {
	Size, Count int
	Context     bool
}

// Name implements Scenario.
func (p PushDeflate) Name() string { return "push-json-" + sizeName(p.Size) + deflateSuffix(p.Context) }

// Describe implements Scenario.
func (p PushDeflate) Describe() string {
	return fmt.Sprintf("server pushes %s JSON-like text messages, permessage-deflate (%s); client reads them", sizeLabel(p.Size), deflateMode(p.Context))
}

// Metrics implements Scenario.
func (PushDeflate) Metrics() []Metric { return Push{}.Metrics() }

// Applies implements Scenario: the libraries with compression (in the
// mode).
func (p PushDeflate) Applies(d drivers.Driver) bool {
	_, ok := drivers.Deflate(d, p.Context)
	return ok
}

// Run implements Scenario.
func (p PushDeflate) Run(ctx context.Context, env Env, d drivers.Driver) (Result, error) {
	dd, ok := drivers.Deflate(d, p.Context)
	if !ok {
		return nil, fmt.Errorf("%s has no permessage-deflate with %s", d.Name(), deflateMode(p.Context))
	}
	count := env.scaled(p.Count, 3)
	c, err := dial(ctx, dd, env.url(fmt.Sprintf("/push%s?size=%d&count=%d", deflateSuffix(p.Context), p.Size, count)))
	if err != nil {
		return nil, err
	}
	// The server compresses every message before it says it is ready;
	// the clock starts after that.
	c.Expect(1, func(_ int, text bool, b []byte) error {
		if !text || string(b) != "ready" {
			return fmt.Errorf("server said %q, want \"ready\"", b)
		}
		return nil
	})
	if err := c.Wait(); err != nil {
		return nil, errors.Join(err, c.Close())
	}
	var check drivers.Check
	if env.Verify {
		check = func(i int, text bool, b []byte) error {
			if !text {
				return fmt.Errorf("message %d: binary, want text", i)
			}
			return payload.CheckJSON(b, p.Size, uint64(i%payload.JSONRing))
		}
	}
	return receiveAll(c, count, p.Size, check)
}

// SendDeflate is Send with compression: the client compresses and sends
// Count JSON-like messages of Size bytes (generated before the clock
// starts) to a sink that acknowledges the last.
type SendDeflate struct {
	Size, Count int
	Context     bool
}

// Name implements Scenario.
func (s SendDeflate) Name() string { return "send-json-" + sizeName(s.Size) + deflateSuffix(s.Context) }

// Describe implements Scenario.
func (s SendDeflate) Describe() string {
	return fmt.Sprintf("client sends %s JSON-like messages, permessage-deflate (%s), to a sink, until it acknowledges the last", sizeLabel(s.Size), deflateMode(s.Context))
}

// Metrics implements Scenario.
func (SendDeflate) Metrics() []Metric { return Send{}.Metrics() }

// Applies implements Scenario.
func (s SendDeflate) Applies(d drivers.Driver) bool {
	return PushDeflate{Context: s.Context}.Applies(d)
}

// Run implements Scenario.
func (s SendDeflate) Run(ctx context.Context, env Env, d drivers.Driver) (Result, error) {
	dd, ok := drivers.Deflate(d, s.Context)
	if !ok {
		return nil, fmt.Errorf("%s has no permessage-deflate with %s", d.Name(), deflateMode(s.Context))
	}
	count := env.scaled(s.Count, 10)
	verify := 0
	if env.Verify {
		verify = 1
	}
	c, err := dial(ctx, dd, env.url(fmt.Sprintf("/sink%s?count=%d&size=%d&verify=%d", deflateSuffix(s.Context), count, s.Size, verify)))
	if err != nil {
		return nil, err
	}
	want := fmt.Sprintf("ok %d", count)
	c.Expect(1, func(_ int, text bool, b []byte) error {
		if !text || string(b) != want {
			return fmt.Errorf("sink answered %q, want %q", b, want)
		}
		return nil
	})
	ring := make([][]byte, min(count, payload.JSONRing))
	for i := range ring {
		ring[i] = payload.JSON(s.Size, uint64(i))
	}
	m := startMeter()
	for i := 0; i < count && err == nil; i++ {
		err = c.Send(ring[i%len(ring)])
	}
	if err == nil {
		err = c.Flush()
	}
	if err == nil {
		err = c.Wait()
	}
	sp := m.stop()
	err = errors.Join(err, c.Close())
	if err != nil {
		return nil, err
	}
	r := Result{"msgs_per_s": float64(count) / sp.wall.Seconds()}
	sp.perOp(r, count, "")
	return r, nil
}
