package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"

	"github.com/sturdyws/sturdy/bench/internal/durable"
	"github.com/sturdyws/sturdy/bench/internal/server"
)

// serveEnv, set to 1 in the environment, makes the binary the benchmark
// server (reading commands from stdin) instead of the benchmark. An
// environment variable rather than a flag, so a test binary can be re-run
// as the server too.
const serveEnv = "STURDY_BENCH_SERVE"

func main() {
	if durable.IsChild() {
		os.Exit(durable.ChildMain())
	}
	if os.Getenv(serveEnv) == "1" {
		if err := server.Serve(os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "bench server:", err)
			os.Exit(1)
		}
		return
	}
	var cfg config
	flag.IntVar(&cfg.rounds, "rounds", 7, "rounds; every library runs every scenario once per round")
	flag.Float64Var(&cfg.scale, "scale", 1, "multiplies message and connection counts")
	libs := flag.String("libs", "", "comma-separated libraries (default all): "+strings.Join(libNames(), ","))
	scens := flag.String("scenarios", "", "comma-separated scenarios (default all): "+strings.Join(scenarioNames(), ","))
	flag.StringVar(&cfg.jsonPath, "json", "results.json", "file for every raw number (empty: none)")
	flag.StringVar(&cfg.mdPath, "md", "", "file for the markdown tables too (default: stdout only)")
	flag.StringVar(&cfg.cpuProfile, "cpuprofile", "", "write a CPU profile of the client process (the measured side) to this file")
	flag.BoolVar(&cfg.control, "control", false, "also run an identical copy of the sturdy driver (sturdy-control): the spread between the two is this run's resolution")
	flag.BoolVar(&cfg.observers, "observers", false, "also run the Client with an Observer: sturdy-client-nop (the hook set, doing nothing), sturdy-client-otel (the OpenTelemetry adapter) and sturdy-client-control (an identical copy without, the comparison's resolution)")
	flag.IntVar(&cfg.PeerReadBuffer, "peer-read-buffer", 0, "read buffer size in bytes for the peers that let you set it (gorilla, gobwas, gws; coder's is fixed at 4 KiB); 0: their defaults")
	flag.Uint64Var(&cfg.seed, "seed", 0, "seed of the shuffled order the libraries run in each round; 0: a new one, printed in the report")
	flag.BoolVar(&cfg.check, "check", false, "CI mode: self-check, then every scenario once at a tiny scale, then the durable-queue comparison at a tiny scale; fails on any error")
	durableOnly := flag.Bool("durable", false, "run only the durable-queue comparison (queue.File against bbolt and pebble; see README.md); with -check, at a tiny scale")
	durableDir := flag.String("durable-dir", "", "directory on the disk to measure for -durable (default: the system's temporary directory)")
	flag.Parse()
	if *durableOnly {
		if err := durableMain(cfg, *durableDir); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
	if cfg.check {
		cfg.rounds, cfg.scale = 1, checkScale
		if !isSet("json") {
			cfg.jsonPath = ""
		}
	}
	if cfg.seed == 0 {
		cfg.seed = rand.Uint64() | 1
	}
	var err error
	if cfg.drivers, err = pickDrivers(*libs, cfg.control, cfg.observers, cfg.Options); err == nil {
		cfg.scenarios, err = pickScenarios(*scens)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err = profile(cfg.cpuProfile, func() error {
		_, err := run(ctx, cfg, os.Stdout, os.Stderr)
		return err
	})
	stop()
	if err == nil && cfg.check {
		err = runDurable(durableRun{cfg: durable.Check(cfg.seed), dir: *durableDir}, io.Discard, io.Discard)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// profile runs f, with a CPU profile written to path when path is set.
func profile(path string, f func() error) error {
	if path == "" {
		return f()
	}
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.StartCPUProfile(out); err != nil {
		_ = out.Close()
		return err
	}
	err = f()
	pprof.StopCPUProfile()
	return errors.Join(err, out.Close())
}

// isSet reports whether the named flag was given.
func isSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
