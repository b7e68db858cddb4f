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
	"sync"
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
	idle      time.Duration // one measured idle window
	windows   int           // consecutive idle windows per round, both kinds at once
	send      int           // 100 B messages each connection sends once up (fleet.Settings.Send)
	down      time.Duration // how long the server stays down in the restart
	rounds    int           // both kinds once per round
	profile   string        // directory for the client processes' profiles; empty: none
	command   string        // the command line, for the report
}

// checkFleet is the scale scenario as -check and the tests run it: few
// connections, pings every 100 ms so that two rounds pass at once.
func checkFleet() fleetConfig {
	return fleetConfig{n: 50, heartbeat: 100 * time.Millisecond, idle: 500 * time.Millisecond, windows: 2, down: 2 * time.Second, command: "go run . -check"}
}

// fleetFiles is how many files a fleet process needs beside its sockets.
const fleetFiles = 256

// runFleet runs the scale scenario for both kinds, each with a server
// process and a client process of its own. In each round both fleets
// connect, one after the other, and idle at the same time: their idle
// windows coincide, so a machine whose speed or load changes during a
// run bills both kinds alike (as push's turns do). The restarts then run
// one after the other, since a storm loads the machine.
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
	res := &fleet.Result{Machine: report.DescribeMachine(), Started: time.Now(), N: fc.n, Heartbeat: heartbeatOf(fc), Down: fc.down, Command: fc.command, Rounds: max(fc.rounds, 1), Send: fc.send}
	fc.idle = wholeIntervals(fc.idle, res.Heartbeat)
	fc.windows = max(fc.windows, 1)
	for round := 1; round <= res.Rounds; round++ {
		kinds := fleet.Kinds()
		if round%2 == 0 {
			slices.Reverse(kinds) // neither kind always goes first
		}
		ks, err := runFleetRound(ctx, fc, kinds, round, log)
		for _, k := range ks {
			k.Round = round
			res.Kinds = append(res.Kinds, k)
		}
		if err != nil {
			return res, fmt.Errorf("fleet round %d: %w", round, err)
		}
	}
	res.Machine.LoadEnd = report.LoadAvg()
	return res, res.Validate()
}

// heartbeatOf is the ping interval both kinds use: fc's, or sturdy's
// default when fc leaves it 0.
func heartbeatOf(fc fleetConfig) time.Duration {
	if fc.heartbeat > 0 {
		return fc.heartbeat
	}
	return heartbeat.DefaultInterval
}

// wholeIntervals rounds the idle window up to a whole number of heartbeat
// intervals. An idle fleet's cost is periodic (its pings leave within a
// second or so of each other, once per interval), so a window of whole
// periods holds the same number of ping rounds whatever its phase: a
// 20 s window over 15 s pings held one round or two, and the two kinds'
// ratio moved by up to 2× between runs of the same code.
func wholeIntervals(window, interval time.Duration) time.Duration {
	n := (window + interval - 1) / interval
	return max(n, 1) * interval
}

// runFleetRound runs one round: every kind's fleet up, in turn; the idle
// windows of all of them at once; then each restart in turn.
func runFleetRound(ctx context.Context, fc fleetConfig, kinds []string, round int, log io.Writer) (ks []fleet.KindResult, err error) {
	sides := make([]*fleetSide, len(kinds))
	defer func() {
		for _, s := range sides {
			if s != nil {
				err = errors.Join(err, s.ps.end())
			}
		}
	}()
	for i, kind := range kinds {
		if sides[i], err = upFleet(ctx, fc, kind, round, log); err != nil {
			return nil, fmt.Errorf("%s: %w", kind, err)
		}
	}
	for _, s := range sides {
		if err := s.warm(ctx, fc); err != nil {
			return nil, fmt.Errorf("%s: %w", s.k.Kind, err)
		}
	}
	errs := make([]error, len(sides))
	var wg sync.WaitGroup
	for i, s := range sides {
		wg.Go(func() {
			cmd := fmt.Sprintf("measure %d %d", fc.idle.Milliseconds(), fc.windows)
			errs[i] = ask(ctx, s.cl, cmd, "idle", &s.k.Idle, time.Duration(fc.windows)*fc.idle+time.Minute)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for _, s := range sides {
		fmt.Fprintf(log, "fleet %-13s idle: %v\n", s.k.Kind, s.k.Idle)
	}
	for _, s := range sides {
		if err := s.storm(ctx, fc, log); err != nil {
			return nil, fmt.Errorf("%s: %w", s.k.Kind, err)
		}
		ks = append(ks, s.k)
	}
	return ks, nil
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

// fleetSide is one kind's fleet in a round: its processes and results.
type fleetSide struct {
	ps      *procs
	srv, cl *serverProc
	addr    string
	k       fleet.KindResult
}

// upFleet starts one kind's server and client processes and connects its
// fleet in a burst.
func upFleet(ctx context.Context, fc fleetConfig, kind string, round int, log io.Writer) (*fleetSide, error) {
	s := &fleetSide{ps: &procs{}, k: fleet.KindResult{Kind: kind}}
	var err error
	if s.srv, err = s.ps.start(ctx, "server"); err != nil {
		return s, err
	}
	ans, err := s.srv.Do(ctx, "listen 127.0.0.1:0")
	if err != nil {
		return s, err
	}
	s.addr, _ = strings.CutPrefix(ans, "listening ")
	if s.cl, err = s.ps.start(ctx, "client"); err != nil {
		return s, err
	}
	st := fleet.Settings{Kind: kind, N: fc.n, URL: "ws://" + s.addr + "/fleet", Heartbeat: fc.heartbeat, Send: fc.send}
	if fc.profile != "" {
		st.Profile = filepath.Join(fc.profile, fmt.Sprintf("fleet-%s-%d-round%d", kind, fc.n, round))
	}
	set, _ := json.Marshal(st)
	if err := ask(ctx, s.cl, "dial "+string(set), "up", &s.k.Up, 2*time.Minute+time.Duration(fc.n)*time.Millisecond); err != nil {
		return s, err
	}
	fmt.Fprintf(log, "fleet %-13s %d up after %v, %.3f goroutines each\n", kind, fc.n, s.k.Up.Connect.Round(time.Millisecond), s.k.Up.GoroutinesPer)
	return s, nil
}

// warm waits until the server has seen two heartbeat pings from every
// connection: the idle window measures the steady state, not the moment
// after connect.
func (s *fleetSide) warm(ctx context.Context, fc fleetConfig) error {
	limit := 3*heartbeatOf(fc) + time.Minute
	_, err := s.srv.DoWithin(ctx, fmt.Sprintf("pings %d 2 %d", fc.n, limit.Milliseconds()), limit+5*time.Second)
	return err
}

// storm restarts the side's server, then closes its fleet once it is back.
func (s *fleetSide) storm(ctx context.Context, fc fleetConfig, log io.Writer) error {
	var err error
	if s.k.Storm, err = restart(ctx, fc, s.ps, s.srv, s.cl, s.addr); err != nil {
		return err
	}
	st := s.k.Storm
	fmt.Fprintf(log, "fleet %-13s restart: first redials %v–%v, all back after %v, %.2f dials each, peak 100 ms %.2f× the mean\n",
		s.k.Kind, st.FirstDial[0].Round(time.Millisecond), st.FirstDial[2].Round(time.Millisecond),
		st.AllBack.Round(time.Millisecond), st.AttemptsPer(fc.n), st.PeakOverMean())
	if _, err := s.cl.DoWithin(ctx, "close", 2*time.Minute); err != nil {
		return err
	}
	return s.ps.end()
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
