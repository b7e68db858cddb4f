package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"time"
)

// config is the command line.
type config struct {
	url        string
	duration   time.Duration
	faultEvery time.Duration
	heartbeat  time.Duration
	orderEvery time.Duration
	orderAge   time.Duration
}

// usageError is a bad command line: exit status 2, as flag does.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("feed", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.url, "url", "", "ws:// or wss:// address of a server speaking the feed protocol (default: an embedded server with scheduled faults)")
	fs.DurationVar(&c.duration, "duration", 15*time.Second, "how long to run, shutdown included")
	fs.DurationVar(&c.faultEvery, "fault-every", 2*time.Second, "embedded server: how long each connection streams before its fault")
	fs.DurationVar(&c.heartbeat, "heartbeat", 500*time.Millisecond, "ping interval; a ping unanswered for twice this long means the peer is dead")
	fs.DurationVar(&c.orderEvery, "order-every", 200*time.Millisecond, "time between orders")
	fs.DurationVar(&c.orderAge, "order-max-age", time.Second, "an order older than this is dropped, never sent late")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: feed [flags]\n\nA market-data consumer that survives a faulty exchange; see doc.go.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return c, err
		}
		return c, usageError{err}
	}
	if fs.NArg() > 0 {
		return c, usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	if c.duration < 2*time.Second {
		return c, usageError{errors.New("-duration must be at least 2s")}
	}
	for _, d := range []time.Duration{c.faultEvery, c.heartbeat, c.orderEvery, c.orderAge} {
		if d <= 0 {
			return c, usageError{errors.New("durations must be positive")}
		}
	}
	return c, nil
}

// drain is the end of the run kept free of faults and new orders, so the
// last fault can be noticed and healed and every order acknowledged.
func (cfg config) drain() time.Duration {
	return min(3*time.Second, cfg.duration/3)
}
