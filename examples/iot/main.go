package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Exit)
	stop()
	switch {
	case err == nil || errors.Is(err, flag.ErrHelp):
	case errors.Is(err, errUsage):
		fmt.Fprintln(os.Stderr, "iot:", err)
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "iot:", err)
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

// config is the command line.
type config struct {
	dir       string
	url       string
	readings  int
	maxQueued int
	every     time.Duration
	offline   bool
	crash     bool
	retry     time.Duration
	timeout   time.Duration
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("iot", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.dir, "dir", "", "directory of the durable queue (default: a new temporary directory, removed once every reading is delivered)")
	fs.StringVar(&c.url, "url", "", "server to send readings to (default: an embedded server that acknowledges them)")
	fs.IntVar(&c.readings, "readings", 5, "readings to take in this run")
	fs.IntVar(&c.maxQueued, "max-queued", 100_000, "readings the queue holds; beyond it the oldest are dropped, each reported")
	fs.DurationVar(&c.every, "every", 200*time.Millisecond, "time between readings")
	fs.BoolVar(&c.offline, "offline", false, "keep the embedded server unreachable while readings are taken")
	fs.BoolVar(&c.crash, "crash", false, "exit at once after queueing the readings, without closing anything, as a crash would")
	fs.DurationVar(&c.retry, "retry", 250*time.Millisecond, "time between connection attempts")
	fs.DurationVar(&c.timeout, "timeout", 30*time.Second, "how long to wait for every reading to be acknowledged")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 || c.readings < 0 {
		return c, fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	if c.maxQueued <= 0 {
		return c, fmt.Errorf("%w: -max-queued must be positive", errUsage)
	}
	if c.offline && c.url != "" {
		return c, fmt.Errorf("%w: -offline applies to the embedded server only", errUsage)
	}
	return c, nil
}
