package main

import (
	"context"
	"encoding/json"
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
	"github.com/sturdyws/sturdy/rpc"
)

// errLoss is returned when the summary found a block missing, repeated or
// out of order.
var errLoss = errors.New("the chain as received has a hole")

type usageError struct{ error }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	var usage usageError
	switch {
	case err == nil || errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	case errors.As(err, &usage):
		fmt.Fprintln(os.Stderr, "blockfeed:", err)
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "blockfeed:", err)
		os.Exit(1)
	}
}

type config struct {
	blocks       uint64
	interval     time.Duration
	restartEvery uint64
	down         time.Duration
	noBackfill   bool
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("blockfeed", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Uint64Var(&cfg.blocks, "blocks", 300, "how many blocks to follow")
	fs.DurationVar(&cfg.interval, "interval", 5*time.Millisecond, "time between blocks")
	fs.Uint64Var(&cfg.restartEvery, "restart-every", 80, "kill the server after this many blocks (0: never)")
	fs.DurationVar(&cfg.down, "down", 150*time.Millisecond, "how long the server stays down")
	fs.BoolVar(&cfg.noBackfill, "no-backfill", false, "skip the backfill, to see the loss being caught")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return cfg, err
		}
		return cfg, usageError{err}
	}
	if cfg.blocks == 0 || cfg.interval <= 0 || cfg.down < 0 {
		return cfg, usageError{errors.New("-blocks and -interval must be positive, -down not negative")}
	}
	return cfg, nil
}

// follower is the program's view of the chain.
type follower struct {
	out      io.Writer
	last     block
	live     int // blocks taken from the subscription
	filled   int // blocks taken from backfills
	repeated int // blocks the renewed subscription sent again
	holes    int // blocks found missing or out of order
}

// take adds b if it extends the chain, skips it if already had, and
// reports anything else as a hole.
func (f *follower) take(b block, backfill bool) {
	switch {
	case b.Number <= f.last.Number:
		f.repeated++
		return
	case b.Number != f.last.Number+1 || (f.last.Number > 0 && b.ParentHash != f.last.Hash):
		f.holes++
		fmt.Fprintf(f.out, "LOSS: got block %d after %d\n", b.Number, f.last.Number)
	}
	f.last = b
	if backfill {
		f.filled++
	} else {
		f.live++
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	ch := newChain()
	srv := newServer(ch)
	if err := srv.start(); err != nil {
		return err
	}
	defer srv.kill()
	fmt.Fprintf(stdout, "embedded node at %s: a block every %v, killed every %d blocks for %v\n", srv.url(), cfg.interval, cfg.restartEvery, cfg.down)

	// The producer: blocks keep coming while the server is down.
	pctx, stopProducer := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		produce(pctx, cfg, ch, srv, stdout)
	}()
	defer func() { stopProducer(); wg.Wait() }()

	c, err := rpc.Start(ctx, rpc.Options{
		Client:     client.Options{URL: srv.url(), Backoff: backoff.NewConstantBackOff(25 * time.Millisecond)},
		Idempotent: func(m string) bool { return m == "chain_blocksSince" },
	})
	if err != nil {
		return err
	}
	defer c.Close()

	f := &follower{out: stdout}
	// backfill takes what the node has after the program's last block,
	// until it has nothing more.
	backfill := func(ctx context.Context) {
		for {
			var missed []block
			if err := c.Call(ctx, "chain_blocksSince", []uint64{f.last.Number}, &missed); err != nil {
				// The next renewal backfills from the same block.
				fmt.Fprintf(stdout, "backfill failed: %v\n", err)
				return
			}
			if len(missed) == 0 {
				return
			}
			fmt.Fprintf(stdout, "backfilled blocks %d..%d\n", missed[0].Number, missed[len(missed)-1].Number)
			for _, b := range missed {
				f.take(b, true)
			}
		}
	}
	sub, err := c.Subscribe(ctx, "chain_subscribe", []string{"newHeads"}, rpc.SubscribeOptions{
		OnResubscribe: func(ctx context.Context, r rpc.Resubscribed) {
			fmt.Fprintf(stdout, "renewed subscription (%s -> %s): gap after block %d\n", r.PreviousID, r.ID, f.last.Number)
			if !cfg.noBackfill {
				backfill(ctx)
			}
		},
	})
	if err != nil {
		return err
	}
	// The chain did not start with the subscription: what came before it
	// is a gap too. Blocks the subscription sends meanwhile wait for Next.
	backfill(ctx)
	for f.last.Number < cfg.blocks {
		ev, err := sub.Next(ctx)
		var dropped *rpc.DroppedError
		switch {
		case errors.As(err, &dropped):
			fmt.Fprintf(stdout, "LOSS: %d blocks dropped: the program fell behind\n", dropped.Dropped)
			f.holes += dropped.Dropped
			continue
		case err != nil:
			return err
		}
		var b block
		if err := json.Unmarshal(ev, &b); err != nil {
			return err
		}
		f.take(b, false)
	}
	fmt.Fprintf(stdout, "summary: blocks 1..%d: %d live, %d backfilled, %d repeated and skipped, %d holes\n",
		f.last.Number, f.live, f.filled, f.repeated, f.holes)
	if f.holes > 0 {
		return errLoss
	}
	return nil
}

// produce adds a block every interval and publishes it, and kills and
// restarts the server on schedule, until ctx ends.
func produce(ctx context.Context, cfg config, ch *chain, srv *server, out io.Writer) {
	t := time.NewTicker(cfg.interval)
	defer t.Stop()
	var downUntil time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			if !downUntil.IsZero() && now.After(downUntil) {
				if err := srv.start(); err != nil {
					fmt.Fprintf(out, "restart failed: %v\n", err)
					return
				}
				downUntil = time.Time{}
				fmt.Fprintf(out, "server back at block %d\n", ch.height())
			}
			b := ch.add()
			if downUntil.IsZero() {
				srv.publish(b)
			}
			if cfg.restartEvery > 0 && b.Number%cfg.restartEvery == 0 && downUntil.IsZero() {
				srv.kill()
				downUntil = now.Add(cfg.down)
				fmt.Fprintf(out, "server killed at block %d\n", b.Number)
			}
		}
	}
}
