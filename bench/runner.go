package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/sturdyws/sturdy/bench/internal/drivers"
	"github.com/sturdyws/sturdy/bench/internal/report"
	"github.com/sturdyws/sturdy/bench/internal/scenario"
)

// runTimeout bounds one run of one scenario with one library; a library
// that hangs loses its numbers instead of stalling the benchmark.
const runTimeout = 2 * time.Minute

// run is the whole benchmark: server up, self-check, rounds, report.
func run(ctx context.Context, cfg config, out, log io.Writer) (res *report.Run, err error) {
	if err := raiseFileLimit(8192); err != nil {
		fmt.Fprintln(log, "warning: could not raise the open-file limit:", err)
	}
	srv, err := startServer(ctx)
	if err != nil {
		return nil, fmt.Errorf("start server: %w", err)
	}
	defer func() { err = errors.Join(err, srv.stop()) }()

	env := scenario.Env{BaseURL: "ws://" + srv.addr, Scale: cfg.scale, Control: srv.Do, Pin: srv.pinBoth}
	res = &report.Run{
		Machine: report.DescribeMachine(), Started: time.Now(),
		Rounds: cfg.rounds, Scale: cfg.scale, Seed: cfg.seed, PeerReadBuffer: cfg.PeerReadBuffer,
		Records: []report.Record{}, Failures: []report.Failure{},
	}
	for _, d := range cfg.drivers {
		res.Libs = append(res.Libs, d.Name())
	}
	for _, s := range cfg.scenarios {
		res.Scenarios = append(res.Scenarios, s.Name())
	}

	failed := selfCheck(ctx, env, cfg, res, log)
	rng := rand.New(rand.NewPCG(cfg.seed, 0))
	for round := 1; round <= cfg.rounds && ctx.Err() == nil; round++ {
		for _, sc := range cfg.scenarios {
			var ds []drivers.Driver
			for _, d := range roundOrder(cfg.drivers, rng) {
				if !failed[d.Name()] && sc.Applies(d) {
					ds = append(ds, d)
				}
			}
			for i, o := range runRound(ctx, sc, env, ds) {
				d, r, err := ds[i], o.Result, o.Err
				if err != nil {
					fmt.Fprintf(log, "round %d %-8s %-13s FAILED: %v\n", round, sc.Name(), d.Name(), err)
					res.Failures = append(res.Failures, report.Failure{Lib: d.Name(), Scenario: sc.Name(), Round: round, Err: err.Error()})
					continue
				}
				fmt.Fprintf(log, "round %d %-8s %-13s %s\n", round, sc.Name(), d.Name(), brief(sc, r))
				res.Records = append(res.Records, report.Record{Round: round, Scenario: sc.Name(), Lib: d.Name(), Pos: i + 1, Metrics: r})
			}
		}
	}
	res.Duration = time.Since(res.Started).Round(time.Second).String()
	res.Machine.LoadEnd = report.LoadAvg()

	var md strings.Builder
	writeReport(&md, res, cfg)
	_, _ = io.WriteString(out, md.String())
	if cfg.mdPath != "" {
		if err := os.WriteFile(cfg.mdPath, []byte(md.String()), 0o644); err != nil {
			return res, err
		}
	}
	if cfg.jsonPath != "" {
		if err := res.WriteJSON(cfg.jsonPath); err != nil {
			return res, err
		}
		fmt.Fprintln(log, "raw numbers written to", cfg.jsonPath)
	}
	if ctx.Err() != nil {
		return res, ctx.Err()
	}
	if cfg.check && len(res.Failures) > 0 {
		return res, fmt.Errorf("%d failures (see above)", len(res.Failures))
	}
	return res, nil
}

// selfCheck runs every scenario once per library at a tiny scale with
// every byte checked. A library that fails any of them gets no numbers.
func selfCheck(ctx context.Context, env scenario.Env, cfg config, res *report.Run, log io.Writer) map[string]bool {
	env.Verify = true
	env.Scale = min(cfg.scale, selfCheckScale)
	failed := map[string]bool{}
	for _, d := range cfg.drivers {
		for _, sc := range cfg.scenarios {
			if !sc.Applies(d) || failed[d.Name()] {
				continue
			}
			if _, err := runOne(ctx, sc, env, d); err != nil {
				failed[d.Name()] = true
				fmt.Fprintf(log, "self-check %-8s %-13s FAILED, no numbers for %s: %v\n", sc.Name(), d.Name(), d.Name(), err)
				res.Failures = append(res.Failures, report.Failure{Lib: d.Name(), Scenario: sc.Name(), Err: err.Error()})
			}
		}
		if !failed[d.Name()] {
			fmt.Fprintf(log, "self-check %-13s ok\n", d.Name())
		}
	}
	return failed
}

// runRound runs sc once with each of ds: in one call for a Joint
// scenario, else one library after the other.
func runRound(ctx context.Context, sc scenario.Scenario, env scenario.Env, ds []drivers.Driver) []scenario.JointResult {
	if j, ok := sc.(scenario.Joint); ok && len(ds) > 0 {
		return runJoint(ctx, j, env, ds)
	}
	out := make([]scenario.JointResult, len(ds))
	for i, d := range ds {
		out[i].Result, out[i].Err = runOne(ctx, sc, env, d)
	}
	return out
}

// runJoint runs a Joint scenario bounded by runTimeout per library; on a
// timeout every library of the round fails.
func runJoint(ctx context.Context, j scenario.Joint, env scenario.Env, ds []drivers.Driver) []scenario.JointResult {
	out, err := bounded(ctx, runTimeout*time.Duration(len(ds)), func(ctx context.Context) []scenario.JointResult {
		return j.RunJoint(ctx, env, ds)
	})
	if err != nil {
		out = make([]scenario.JointResult, len(ds))
		for i := range out {
			out[i].Err = err
		}
	}
	return out
}

// errTimeout reports a run that did not finish within runTimeout.
var errTimeout = errors.New("run timed out")

// runOne runs one scenario with one driver, bounded by runTimeout. A run
// that times out is abandoned (its goroutine may stay blocked in the
// library); the benchmark goes on without it.
func runOne(ctx context.Context, sc scenario.Scenario, env scenario.Env, d drivers.Driver) (scenario.Result, error) {
	o, err := bounded(ctx, runTimeout, func(ctx context.Context) scenario.JointResult {
		r, err := sc.Run(ctx, env, d)
		return scenario.JointResult{Result: r, Err: err}
	})
	if err != nil {
		return nil, err
	}
	return o.Result, o.Err
}

// bounded runs run with a context that ends after limit and returns its
// value, or errTimeout once limit has passed. A run that times out is
// abandoned (its goroutine may stay blocked in a library).
func bounded[T any](ctx context.Context, limit time.Duration, run func(context.Context) T) (T, error) {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	done := make(chan T, 1)
	go func() { done <- run(ctx) }()
	select {
	case v := <-done:
		return v, nil
	case <-ctx.Done():
		var zero T
		return zero, fmt.Errorf("%w after %v", errTimeout, limit)
	}
}

// roundOrder is the order the libraries run in during one round of one
// scenario: a shuffle drawn from rng. A fixed order, even one rotated
// each round, gives every library the same neighbour before it every
// time, and what a run leaves behind (a heap grown by a copying library,
// the kernel's cached metrics for the last loopback connection) then
// lands on the same library round after round: a bias no number of
// rounds averages out. The seed is in the report, so an order can be
// replayed.
func roundOrder(ds []drivers.Driver, rng *rand.Rand) []drivers.Driver {
	out := slices.Clone(ds)
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// brief renders a result's first metrics for the progress log.
func brief(sc scenario.Scenario, r scenario.Result) string {
	var parts []string
	for i, m := range sc.Metrics() {
		if i == 3 {
			break
		}
		parts = append(parts, m.Header+"="+m.Format(r[m.Key]))
	}
	return strings.Join(parts, " ")
}

// raiseFileLimit raises the soft limit on open files to want (or the hard
// limit, if lower): the idle scenario holds thousands of sockets.
func raiseFileLimit(want uint64) error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return err
	}
	if lim.Cur >= want {
		return nil
	}
	lim.Cur = min(want, lim.Max)
	return syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
}

// writeReport writes the markdown: machine, settings, tables, targets,
// failures.
func writeReport(w io.Writer, res *report.Run, cfg config) {
	m := res.Machine
	fmt.Fprintf(w, "## sturdy bench, %s\n\n", res.Started.UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(w, "%s, %d cores, %s, kernel %s, %s. Load average %s at the start, %s at the end.\n",
		m.CPU, m.Cores, m.OS, m.Kernel, m.Go, m.LoadStart, m.LoadEnd)
	fmt.Fprintf(w, "%d rounds at scale %g, libraries interleaved within each round in a shuffled order (-seed %d); took %s. "+
		"Cells are the median over the rounds with (min–max); ×gorilla and ×raw divide medians.\n",
		res.Rounds, res.Scale, res.Seed, res.Duration)
	if res.PeerReadBuffer > 0 {
		fmt.Fprintf(w, "Not the defaults: gorilla, gobwas and gws read with %d-byte buffers (-peer-read-buffer); coder's stays 4 KiB.\n",
			res.PeerReadBuffer)
	}
	res.WriteTables(w, cfg.scenarios)
	res.WriteTargets(w)
	if len(res.Failures) > 0 {
		fmt.Fprintf(w, "\n### Failures\n\n")
		for _, f := range res.Failures {
			where := "self-check"
			if f.Round > 0 {
				where = fmt.Sprintf("round %d", f.Round)
			}
			fmt.Fprintf(w, "- %s, %s, %s: %s\n", f.Lib, f.Scenario, where, f.Err)
		}
	}
}
