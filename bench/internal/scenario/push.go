package scenario

import (
	"context"
	"errors"
	"fmt"

	"github.com/sturdyws/sturdy/bench/internal/drivers"
	"github.com/sturdyws/sturdy/bench/internal/payload"
)

// Push measures receiving: the server sends Count binary messages of Size
// bytes as fast as the socket takes them, and the clock runs from the
// client's go-ahead to the last message read.
type Push struct {
	Size, Count int
}

// Name implements Scenario.
func (p Push) Name() string { return "push-" + sizeName(p.Size) }

// Describe implements Scenario.
func (p Push) Describe() string {
	return fmt.Sprintf("server pushes %s binary messages; client reads them; msgs/s and MB/s with the libraries taking turns", sizeLabel(p.Size))
}

// Metrics implements Scenario.
func (Push) Metrics() []Metric {
	return []Metric{
		{Key: "msgs_per_s", Ratio: true, Header: "msgs/s", Better: Higher, Format: FormatCount},
		{Key: "mb_per_s", Header: "MB/s", Better: Higher, Format: FormatCount},
		{Key: "allocs", Header: "allocs/msg", Better: Lower, Format: FormatCount},
		{Key: "bytes", Header: "B/msg", Better: Lower, Format: FormatBytes},
		{Key: "cpu_ns", Header: "CPU ns/msg", Better: Lower, Format: FormatCount},
		{Key: "syscalls", Header: "syscalls/msg", Better: Lower, Format: FormatCount},
	}
}

// Applies implements Scenario: every driver reads.
func (Push) Applies(drivers.Driver) bool { return true }

// Run implements Scenario.
func (p Push) Run(ctx context.Context, env Env, d drivers.Driver) (Result, error) {
	count := env.scaled(p.Count, 3)
	c, err := dial(ctx, d, env.url(fmt.Sprintf("/push?size=%d&count=%d", p.Size, count)))
	if err != nil {
		return nil, err
	}
	var check drivers.Check
	if env.Verify {
		check = binaryCheck(p.Size, func(i int) uint64 { return uint64(i) })
	}
	return receiveAll(c, count, p.Size, check)
}

// binaryCheck checks that message i is binary and is the payload of size
// bytes carrying sequence number seq(i).
func binaryCheck(size int, seq func(i int) uint64) drivers.Check {
	return func(i int, text bool, b []byte) error {
		if text {
			return fmt.Errorf("message %d: text, want binary", i)
		}
		return payload.Check(b, size, seq(i))
	}
}

// receiveAll is the measured half of every push: it announces count
// messages of size bytes (each passed to check when not nil), starts the
// clock, sends the go-ahead, waits for the last message and closes c. The
// go-ahead comes after the clock starts, so a library that reads on a
// goroutine of its own cannot read ahead of it.
func receiveAll(c drivers.Conn, count, size int, check drivers.Check) (Result, error) {
	c.Expect(count, check)
	m := startMeter()
	err := c.Write(true, []byte("go"))
	if err == nil {
		err = c.Wait()
	}
	s := m.stop()
	if err = errors.Join(err, c.Close()); err != nil {
		return nil, err
	}
	r := Result{}
	putRate(r, count, size, s.wall)
	s.perOp(r, count, "")
	return r, nil
}

// sizeName renders 64, 1k, 1m.
func sizeName(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%dm", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%dk", n>>10)
	}
	return fmt.Sprint(n)
}
