package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/sturdyws/sturdy/client"
	"github.com/sturdyws/sturdy/heartbeat"
	"github.com/sturdyws/sturdy/transport"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	var usage usageError
	switch {
	case err == nil || errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	case errors.As(err, &usage):
		fmt.Fprintln(os.Stderr, "feed:", err)
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "feed:", err)
		os.Exit(1)
	}
}

// run is the whole program: main only adds the signal handling and the
// exit status. It returns nil when every check passed, errLost when the
// summary found a loss, or what stopped it.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	con := newConsole(stdout)
	url := cfg.url
	var ex *exchange
	if url == "" {
		if ex, err = startExchange(); err != nil {
			return err
		}
		defer ex.Close()
		url = ex.URL()
		con.printf("embedded exchange at %s; each connection streams for %v, then: drop, half-open, 1012, again", url, cfg.faultEvery)
	}

	orders := newLedger()
	// The session outlives ctx: an interrupt ends the traffic early, and
	// the client still flushes and closes cleanly below.
	c, err := client.Start(context.WithoutCancel(ctx), cfg.clientOptions(url, orders, con))
	if err != nil {
		return err
	}
	start := time.Now()
	var book tape
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		book.consume(context.Background(), c) // ends when Close ends the session
	}()
	liveCtx, stopLive := context.WithCancel(ctx)
	wg.Add(1)
	go func() {
		defer wg.Done()
		con.live(liveCtx, c, orders)
	}()

	sendErr := trade(ctx, cfg, start, c, orders, ex, con)

	flushCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.drain())
	flushErr := c.Flush(flushCtx)
	cancel()
	// Orders are done; the feed plays on, quietly, until -duration.
	quiet, cancel := context.WithDeadline(ctx, start.Add(cfg.duration))
	<-quiet.Done()
	cancel()
	stats := c.Stats()
	closeErr := c.Close()
	stopLive()
	wg.Wait()

	s := &summary{Elapsed: time.Since(start), Stats: stats, RTT: stats.LastRTT, Tape: &book, FlushErr: flushErr}
	sent, dead := orders.snapshot()
	if ex != nil {
		got := byConnection(ex.srv.Received())
		s.Orders = checkOrders(sent, dead, got)
		sc := checkSubscriptions(got, ex.srv.Snapshot().Accepted())
		s.Subs = &sc
	} else {
		s.Orders = checkAcked(sent, dead, orders.highestAck())
	}
	con.raw(s.String())
	switch {
	case sendErr != nil:
		return sendErr
	case closeErr != nil:
		return closeErr
	case !s.ok():
		return errLost
	}
	return nil
}

// trade runs the busy part of the session: orders, and with the embedded
// exchange its fault schedule, until the drain period before -duration
// (or an interrupt). It returns once both have stopped.
func trade(ctx context.Context, cfg config, start time.Time, c *client.Client, orders *ledger, ex *exchange, con *console) error {
	ctx, cancel := context.WithDeadline(ctx, start.Add(cfg.duration-cfg.drain()))
	defer cancel()
	var wg sync.WaitGroup
	if ex != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runFaults(ctx, ex.srv, cfg.faultEvery, con)
		}()
	}
	err := orders.send(ctx, c, cfg.orderEvery, cfg.orderAge)
	cancel()
	wg.Wait()
	return err
}

// clientOptions configures the Client for this demo: at-least-once orders
// acknowledged by the exchange, a resubscription on every connection, and
// a heartbeat and backoff scaled to a run of seconds (production values
// would be the defaults: 15 s pings, a backoff of 1 s growing to 30 s).
func (cfg config) clientOptions(url string, orders *ledger, con *console) client.Options {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = 200 * time.Millisecond
	b.Multiplier = 2
	b.RandomizationFactor = 0.5
	b.MaxInterval = 2 * time.Second
	b.MaxElapsedTime = 0 // never give up
	return client.Options{
		URL:           url,
		Delivery:      client.AtLeastOnce,
		AckExtractor:  orders.extractAck,
		OnConnect:     subscribe,
		OnStateChange: con.stateChange,
		OnDeadLetter:  func(d client.DeadLetter) { orders.deadLetter(d, con) },
		Heartbeat:     heartbeat.Options{Interval: cfg.heartbeat, Timeout: 2 * cfg.heartbeat},
		Backoff:       b,
		// A connection the schedule lets stream counts as healthy, so the
		// next fault starts the backoff over instead of growing it.
		StablePeriod: min(time.Second, cfg.faultEvery/2),
	}
}

// subscribeTimeout bounds OnConnect: a half-open server would otherwise
// hold it for client.DefaultOnConnectTimeout.
const subscribeTimeout = 2 * time.Second

// subscribe is OnConnect: on every new connection, before anything queued
// is replayed, it subscribes and waits for the exchange to confirm.
func subscribe(ctx context.Context, conn *transport.Conn) error {
	ctx, cancel := context.WithTimeout(ctx, subscribeTimeout)
	defer cancel()
	if err := conn.Write(ctx, transport.MessageText, subscribeMsg); err != nil {
		return err
	}
	_, p, err := conn.Read(ctx)
	if err != nil {
		return err
	}
	if !isConfirm(p) {
		return fmt.Errorf("subscription not confirmed: got %.60q", p)
	}
	return nil
}
