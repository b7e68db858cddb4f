package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/sturdyws/sturdy/bench/internal/fleet"
	"github.com/sturdyws/sturdy/bench/internal/report"
	"github.com/sturdyws/sturdy/heartbeat"
)

// fleetEnv makes the binary one of the scale scenario's processes:
// "server" (fleet.Serve) or "client" (fleet.ClientMain).
const fleetEnv = "STURDY_BENCH_FLEET"

// fleetConfig is one run of the scale scenario (-fleet).
type fleetConfig struct {
	n         int
	heartbeat time.Duration // ping interval of both kinds; 0: sturdy's default
	idle      time.Duration // the measured idle window
	down      time.Duration // how long the server stays down in the restart
	rounds    int           // both kinds once per round
	profile   string        // directory for the client processes' profiles; empty: none
	command   string        // the command line, for the report
}

// checkFleet is the scale scenario as -check and the tests run it: few
// connections, pings every 100 ms so that two rounds pass at once.
func checkFleet() fleetConfig {
	return fleetConfig{n: 50, heartbeat: 100 * time.Millisecond, idle: 500 * time.Millisecond, down: 2 * time.Second, command: "go run . -check"}
}

// fleetFiles is how many files a fleet process needs beside its sockets.
const fleetFiles = 256

// runFleet runs the scale scenario for both kinds, one after the other,
// each with a server process and a client process of its own.
func runFleet(ctx context.Context, fc fleetConfig, log io.Writer) (*fleet.Result, error) {
	if err := raiseFileLimit(uint64(fc.n + fleetFiles)); err != nil {
		return nil, fmt.Errorf("open-file limit: %w", err)
	}
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return nil, err
	}
	if lim.Cur < uint64(fc.n+fleetFiles) {
		return nil, fmt.Errorf("%d connections need %d open files in each process; the limit is %d (hard %d): raise it with ulimit -n",
			fc.n, fc.n+fleetFiles, lim.Cur, lim.Max)
	}
	res := &fleet.Result{Machine: report.DescribeMachine(), Started: time.Now(), N: fc.n, Heartbeat: fc.heartbeat, Down: fc.down, Command: fc.command, Rounds: max(fc.rounds, 1)}
	if res.Heartbeat == 0 {
		res.Heartbeat = heartbeat.DefaultInterval
	}
	for round := 1; round <= res.Rounds; round++ {
		kinds := fleet.Kinds()
		if round%2 == 0 {
			slices.Reverse(kinds) // neither kind always runs first
		}
		for _, kind := range kinds {
			k, err := runFleetKind(ctx, fc, kind, round, log)
			if err != nil {
				return res, fmt.Errorf("fleet %s, round %d: %w", kind, round, err)
			}
			k.Round = round
			res.Kinds = append(res.Kinds, k)
		}
	}
	res.Machine.LoadEnd = report.LoadAvg()
	return res, res.Validate()
}

// procs are the child processes of one fleet, all ended by end.
type procs struct{ live []*serverProc }

func (ps *procs) start(ctx context.Context, role string) (*serverProc, error) {
	p, first, err := startChild(ctx, fleetEnv+"="+role)
	if err != nil {
		return nil, err
	}
	ps.live = append(ps.live, p)
	if first != "ready" {
		return nil, fmt.Errorf("fleet %s said %q, want ready", role, first)
	}
	return p, nil
}

// kill ends p with SIGKILL.
func (ps *procs) kill(p *serverProc) error {
	for i, q := range ps.live {
		if q == p {
			ps.live = append(ps.live[:i], ps.live[i+1:]...)
		}
	}
	return p.kill()
}

// end stops every process still running (killing any that does not exit).
func (ps *procs) end() error {
	var errs []error
	for _, p := range ps.live {
		errs = append(errs, p.stop())
	}
	ps.live = nil
	return errors.Join(errs...)
}

// ask sends cmd to p and decodes the answer "word JSON" into v.
func ask(ctx context.Context, p *serverProc, cmd, word string, v any, timeout time.Duration) error {
	ans, err := p.DoWithin(ctx, cmd, timeout)
	if err != nil {
		return err
	}
	body, ok := strings.CutPrefix(ans, word+" ")
	if !ok {
		return fmt.Errorf("%q answered %q, want %s", cmd, ans, word)
	}
	return json.Unmarshal([]byte(body), v)
}

// fields sends cmd to p and returns the answer's numbers after word.
func fields(ctx context.Context, p *serverProc, cmd, word string, timeout time.Duration) ([]int64, error) {
	ans, err := p.DoWithin(ctx, cmd, timeout)
	if err != nil {
		return nil, err
	}
	f := strings.Fields(ans)
	if len(f) < 2 || f[0] != word {
		return nil, fmt.Errorf("%q answered %q, want %s", cmd, ans, word)
	}
	var out []int64
	for _, s := range f[1:] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%q answered %q: %w", cmd, ans, err)
		}
		out = append(out, n)
	}
	return out, nil
}

// runFleetKind measures one kind: the burst connect, the idle fleet once
// the server has seen two pings from every connection, then the restart.
func runFleetKind(ctx context.Context, fc fleetConfig, kind string, round int, log io.Writer) (k fleet.KindResult, err error) {
	ps := &procs{}
	defer func() { err = errors.Join(err, ps.end()) }()
	k.Kind = kind
	srv, err := ps.start(ctx, "server")
	if err != nil {
		return k, err
	}
	ans, err := srv.Do(ctx, "listen 127.0.0.1:0")
	if err != nil {
		return k, err
	}
	addr, _ := strings.CutPrefix(ans, "listening ")
	cl, err := ps.start(ctx, "client")
	if err != nil {
		return k, err
	}
	st := fleet.Settings{Kind: kind, N: fc.n, URL: "ws://" + addr + "/fleet", Heartbeat: fc.heartbeat}
	if fc.profile != "" {
		st.Profile = filepath.Join(fc.profile, fmt.Sprintf("fleet-%s-%d-round%d", kind, fc.n, round))
	}
	set, _ := json.Marshal(st)
	if err := ask(ctx, cl, "dial "+string(set), "up", &k.Up, 2*time.Minute+time.Duration(fc.n)*time.Millisecond); err != nil {
		return k, err
	}
	fmt.Fprintf(log, "fleet %-13s %d up after %v, %.3f goroutines each\n", kind, fc.n, k.Up.Connect.Round(time.Millisecond), k.Up.GoroutinesPer)

	// Two heartbeat rounds, seen by the server, before the idle window.
	interval := fc.heartbeat
	if interval == 0 {
		interval = heartbeat.DefaultInterval
	}
	limit := 3*interval + time.Minute
	if _, err := srv.DoWithin(ctx, fmt.Sprintf("pings %d 2 %d", fc.n, limit.Milliseconds()), limit+5*time.Second); err != nil {
		return k, err
	}
	if err := ask(ctx, cl, fmt.Sprintf("measure %d", fc.idle.Milliseconds()), "idle", &k.Idle, fc.idle+time.Minute); err != nil {
		return k, err
	}
	fmt.Fprintf(log, "fleet %-13s idle: %v\n", kind, k.Idle)

	k.Storm, err = restart(ctx, fc, ps, srv, cl, addr)
	if err != nil {
		return k, err
	}
	fmt.Fprintf(log, "fleet %-13s restart: first redials %v–%v, all back after %v, %.2f dials each, peak 100 ms %.2f× the mean\n",
		kind, k.Storm.FirstDial[0].Round(time.Millisecond), k.Storm.FirstDial[2].Round(time.Millisecond),
		k.Storm.AllBack.Round(time.Millisecond), k.Storm.AttemptsPer(fc.n), k.Storm.PeakOverMean())
	if _, err := cl.DoWithin(ctx, "close", 2*time.Minute); err != nil {
		return k, err
	}
	return k, nil
}

// restart kills the server with SIGKILL, starts another on the same
// address fc.down later, and measures the fleet's return.
func restart(ctx context.Context, fc fleetConfig, ps *procs, old, cl *serverProc, addr string) (fleet.Storm, error) {
	srv, err := ps.start(ctx, "server") // ready before the kill, listening only after the pause
	if err != nil {
		return fleet.Storm{}, err
	}
	if _, err := cl.Do(ctx, "arm"); err != nil {
		return fleet.Storm{}, err
	}
	kill := time.Now()
	if err := ps.kill(old); err != nil {
		return fleet.Storm{}, err
	}
	pause := time.NewTimer(time.Until(kill.Add(fc.down)))
	select {
	case <-pause.C:
	case <-ctx.Done():
		pause.Stop()
		return fleet.Storm{}, ctx.Err()
	}
	if _, err := srv.Do(ctx, "listen "+addr); err != nil {
		return fleet.Storm{}, err
	}
	limit := 2*time.Minute + time.Duration(fc.n)*time.Millisecond
	back, err := fields(ctx, srv, fmt.Sprintf("back %d %d", fc.n, limit.Milliseconds()), "back", limit+5*time.Second)
	if err != nil {
		return fleet.Storm{}, err
	}
	var a fleet.Attempts
	if err := ask(ctx, cl, "attempts", "attempts", &a, 15*time.Second); err != nil {
		return fleet.Storm{}, err
	}
	b, err := fields(ctx, srv, "buckets", "buckets", 15*time.Second)
	if err != nil {
		return fleet.Storm{}, err
	}
	buckets := make([]int, len(b)-1)
	for i, x := range b[1:] {
		buckets[i] = int(x)
	}
	if len(buckets) == 0 || len(back) != 2 {
		return fleet.Storm{}, fmt.Errorf("no handshakes counted (back %v, buckets %v)", back, b)
	}
	return fleet.NewStorm(kill, time.Unix(0, b[0]), time.Unix(0, back[0]), int(back[1]), a, buckets), nil
}

// fleetMain is `go run . -fleet N`: the scale scenario alone, its tables
// on stdout and in -md, every figure in -json when given.
func fleetMain(fc fleetConfig, mdPath, jsonPath string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	res, err := runFleet(ctx, fc, os.Stderr)
	if res != nil && len(res.Kinds) > 0 {
		var md strings.Builder
		res.WriteMarkdown(&md)
		_, _ = io.WriteString(os.Stdout, md.String())
		if mdPath != "" {
			err = errors.Join(err, os.WriteFile(mdPath, []byte(md.String()), 0o644))
		}
		if jsonPath != "" {
			b, jerr := json.MarshalIndent(res, "", "  ")
			err = errors.Join(err, jerr, os.WriteFile(jsonPath, b, 0o644))
		}
	}
	return err
}
