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
	"time"

	"github.com/sturdyws/sturdy/bench/internal/durable"
	"github.com/sturdyws/sturdy/bench/internal/fleet"
	"github.com/sturdyws/sturdy/bench/internal/server"
)

// serveEnv, set to 1 in the environment, makes the binary the benchmark
// server (reading commands from stdin) instead of the benchmark. An
// environment variable rather than a flag, so a test binary can be re-run
// as the server too.
const serveEnv = "STURDY_BENCH_SERVE"

func main() {
	if code, ok := asChild(); ok {
		os.Exit(code)
	}
	var cfg config
	flag.IntVar(&cfg.rounds, "rounds", 7, "rounds; every library runs every scenario once per round")
	flag.Float64Var(&cfg.scale, "scale", 1, "multiplies message and connection counts")
	libs := flag.String("libs", "", "comma-separated libraries (default all): "+strings.Join(libNames(), ","))
	scens := flag.String("scenarios", "", "comma-separated scenarios (default all): "+strings.Join(scenarioNames(), ","))
	flag.StringVar(&cfg.jsonPath, "json", "results.json", "file for every raw number (empty: none)")
	flag.StringVar(&cfg.mdPath, "md", "", "file for the markdown tables too (default: stdout only)")
	flag.StringVar(&cfg.cpuProfile, "cpuprofile", "", "write a CPU profile of the client process (the measured side) to this file; samples carry the labels lib and phase (go tool pprof -tagfocus 'lib=^sturdy-client$')")
	flag.StringVar(&cfg.memProfile, "memprofile", "", "write an allocation profile of the client process (every allocation since the start: go tool pprof -sample_index=alloc_space) to this file")
	flag.BoolVar(&cfg.control, "control", false, "also run an identical copy of the sturdy driver (sturdy-control): the spread between the two is this run's resolution")
	flag.BoolVar(&cfg.observers, "observers", false, "also run the Client with an Observer: sturdy-client-nop (the hook set, doing nothing), sturdy-client-otel (the OpenTelemetry adapter) and sturdy-client-control (an identical copy without, the comparison's resolution)")
	flag.IntVar(&cfg.PeerReadBuffer, "peer-read-buffer", 0, "read buffer size in bytes for the peers that let you set it (gorilla, gobwas, gws; coder's is fixed at 4 KiB); 0: their defaults")
	flag.Uint64Var(&cfg.seed, "seed", 0, "seed of the shuffled order the libraries run in each round; 0: a new one, printed in the report")
	flag.BoolVar(&cfg.check, "check", false, "CI mode: self-check, then every scenario once at a tiny scale, then the durable-queue comparison at a tiny scale, then the scale scenario with 50 connections a kind; fails on any error")
	durableOnly := flag.Bool("durable", false, "run only the durable-queue comparison (queue.File against bbolt and pebble; see README.md); with -check, at a tiny scale")
	durableDir := flag.String("durable-dir", "", "directory on the disk to measure for -durable (default: the system's temporary directory)")
	fc := fleetConfig{command: strings.Join(append([]string{"go run ."}, os.Args[1:]...), " ")}
	flag.IntVar(&fc.n, "fleet", 0, "run only the scale scenario with this many connections of each kind (sturdy's Client, the hand-written gorilla loop): idle costs, then a server restart")
	flag.DurationVar(&fc.idle, "fleet-idle", 30*time.Second, "the scale scenario's measured idle window (both kinds at once), after every connection has sent two heartbeat pings; rounded up to whole heartbeat intervals")
	flag.DurationVar(&fc.heartbeat, "fleet-heartbeat", 0, "the scale scenario's ping interval, both kinds; 0: sturdy's default (heartbeat.DefaultInterval)")
	flag.IntVar(&fc.send, "fleet-send", 0, "100 B messages each connection of the scale scenario sends once connected, before the idle figures (what traffic leaves behind)")
	flag.IntVar(&fc.windows, "fleet-windows", 4, "consecutive idle windows per round, both kinds at once; the idle CPU goal takes the median of their paired ratios")
	flag.IntVar(&fc.rounds, "fleet-rounds", 1, "rounds of the scale scenario; each runs both kinds, in turn, and the tables give medians")
	flag.StringVar(&fc.profile, "fleet-profile", "", "directory for CPU and heap profiles of the scale scenario's client processes over the idle window (profiling costs CPU: that window's CPU figure is then not comparable)")
	flag.DurationVar(&fc.down, "fleet-down", 2*time.Second, "how long the scale scenario's server stays down after its SIGKILL")
	flag.Parse()
	if fc.n > 0 {
		mdPath, jsonPath := cfg.mdPath, ""
		if isSet("json") {
			jsonPath = cfg.jsonPath
		}
		if err := fleetMain(fc, mdPath, jsonPath); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
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
	err = profile(cfg.cpuProfile, cfg.memProfile, func() error {
		_, err := run(ctx, cfg, os.Stdout, os.Stderr)
		return err
	})
	stop()
	if err == nil && cfg.check {
		err = runDurable(durableRun{cfg: durable.Check(cfg.seed), dir: *durableDir}, io.Discard, io.Discard)
	}
	if err == nil && cfg.check {
		_, err = runFleet(context.Background(), checkFleet(), os.Stderr)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// profile runs f, with a CPU profile written to cpuPath and an
// allocation profile to memPath, each when set.
func profile(cpuPath, memPath string, f func() error) error {
	if memPath != "" {
		defer func() {
			if err := writeHeapProfile(memPath); err != nil {
				fmt.Fprintln(os.Stderr, "bench: memprofile:", err)
			}
		}()
	}
	if cpuPath == "" {
		return f()
	}
	out, err := os.Create(cpuPath)
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

// writeHeapProfile writes the heap profile, whose alloc_ samples count
// every allocation since the process started.
func writeHeapProfile(path string) error {
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	return errors.Join(pprof.Lookup("allocs").WriteTo(out, 0), out.Close())
}

// isSet reports whether the named flag was given.
func isSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// asChild runs the binary as one of the benchmark's child processes when
// the environment names one, and returns its exit code and true; false
// when the binary is the benchmark itself. A test binary calls it too,
// so that `go test` can start the same children.
func asChild() (int, bool) {
	serve := func(name string, f func(io.Reader, io.Writer) error) int {
		if err := f(os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, name+":", err)
			return 1
		}
		return 0
	}
	switch {
	case durable.IsChild():
		return durable.ChildMain(), true
	case os.Getenv(serveEnv) == "1":
		return serve("bench server", server.Serve), true
	case os.Getenv(fleetEnv) == "server":
		return serve("fleet server", fleet.Serve), true
	case os.Getenv(fleetEnv) == "client":
		return serve("fleet client", fleet.ClientMain), true
	}
	return 0, false
}
