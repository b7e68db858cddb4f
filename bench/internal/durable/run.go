package durable

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// Config is one run of the whole comparison. Full and Check are the two
// the command uses.
type Config struct {
	// Throughput: Rounds rounds of every cell (in a new shuffled order
	// each round), each cell running for Cell, with every payload size
	// and sender count listed.
	Rounds   int
	Cell     time.Duration
	Payloads []int
	Senders  []int

	// Reopen after kill -9: a log of SmallLog pushes under Always, one
	// of LargeLog pushes under Never (both of 256 B), and BigRuns kills
	// during pushes of BigRecord-byte records under Always, after
	// BigCount of them. Torn: BigCount records of BigRecord bytes, the
	// tail cut (then flipped) Tear bytes from its end.
	SmallLog, LargeLog  int
	BigRecord, BigCount int
	BigRuns             int
	Tear                int

	// Damage: the matrix's reference size and its seeds, Seeds of them
	// from Seed on.
	Matrix MatrixConfig

	// Seed orders the throughput cells and starts the damage seeds.
	Seed uint64

	// ModuleDir, when set, is the bench module's directory: the
	// dependency costs are measured by building its depcost programs
	// there with the go command.
	ModuleDir string
}

// Full is the measurement reported in bench/README.md.
func Full(seed uint64) Config {
	return Config{
		Rounds: 5, Cell: time.Second, Payloads: []int{256, 4 << 10}, Senders: []int{1, 8},
		SmallLog: 1000, LargeLog: 200_000, BigRecord: 4 << 20, BigCount: 16, BigRuns: 3, Tear: 1 << 20,
		Matrix: MatrixConfig{Messages: 400, Payload: 200, Seeds: seeds(seed, 20)},
		Seed:   seed,
	}
}

// Check is the comparison at a tiny scale, for CI: every path runs, in
// seconds.
func Check(seed uint64) Config {
	return Config{
		Rounds: 1, Cell: 20 * time.Millisecond, Payloads: []int{256, 4 << 10}, Senders: []int{1, 8},
		SmallLog: 20, LargeLog: 500, BigRecord: 64 << 10, BigCount: 4, BigRuns: 1, Tear: 16 << 10,
		Matrix: MatrixConfig{Messages: 60, Payload: 200, Seeds: seeds(seed, 1)},
		Seed:   seed,
	}
}

func seeds(first uint64, n int) []uint64 {
	s := make([]uint64, n)
	for i := range s {
		s[i] = first + uint64(i)
	}
	return s
}

// Results is everything a run measured, as the JSON results file holds it.
type Results struct {
	Config      Config
	Started     time.Time
	FsyncPerSec []float64 // the disk's pace, once per round
	Rates       []Rate    // every cell of every round
	Reopens     []Reopen
	Trials      []Trial
	Deps        []Dep
}

// formatStores are the stores with a file format of their own: bbolt-batch
// writes bbolt's, so reopening and damage skip it.
func formatStores() []Store {
	return slices.DeleteFunc(Stores(), func(s Store) bool { return s.Name == "bbolt-batch" })
}

// Run runs the comparison in work (a directory it leaves empty), telling
// log what it is doing.
func Run(cfg Config, work string, log io.Writer) (*Results, error) {
	res := &Results{Config: cfg, Started: time.Now().UTC()}
	if cfg.ModuleDir != "" {
		fmt.Fprintln(log, "dependency costs: building the depcost programs")
		deps, err := DepCosts(cfg.ModuleDir, work, DepNames)
		if err != nil {
			return res, err
		}
		res.Deps = deps
	}
	if err := runThroughput(cfg, work, log, res); err != nil {
		return res, err
	}
	if err := runReopens(cfg, work, log, res); err != nil {
		return res, err
	}
	for _, s := range formatStores() {
		fmt.Fprintf(log, "damage %s: ", s.Name)
		trials, err := RunMatrix(s, cfg.Matrix, work, nil)
		res.Trials = append(res.Trials, trials...)
		fmt.Fprintf(log, "%d trials\n", len(trials))
		if err != nil {
			return res, err
		}
	}
	return res, nil
}

func runThroughput(cfg Config, work string, log io.Writer, res *Results) error {
	var cells []Case
	for _, s := range Stores() {
		for _, p := range Policies {
			for _, n := range cfg.Senders {
				for _, size := range cfg.Payloads {
					cells = append(cells, Case{Store: s.Name, Policy: p, Senders: n, Payload: size})
				}
			}
		}
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0))
	for round := range cfg.Rounds {
		rate, err := FsyncRate(work, 256, cfg.Cell)
		if err != nil {
			return err
		}
		res.FsyncPerSec = append(res.FsyncPerSec, rate)
		fmt.Fprintf(log, "round %d: disk %.0f fsync/s, %d cells\n", round+1, rate, len(cells))
		rng.Shuffle(len(cells), func(i, j int) { cells[i], cells[j] = cells[j], cells[i] })
		for _, c := range cells {
			s, err := StoreByName(c.Store)
			if err != nil {
				return err
			}
			dir := filepath.Join(work, "cell")
			r, err := Throughput(s, c, dir, cfg.Cell)
			if err == nil {
				err = os.RemoveAll(dir)
			}
			if err != nil {
				return fmt.Errorf("durable: %+v: %w", c, err)
			}
			r.Round = round
			res.Rates = append(res.Rates, r)
		}
	}
	return nil
}

func runReopens(cfg Config, work string, log io.Writer, res *Results) error {
	dir := filepath.Join(work, "reopen")
	for _, s := range formatStores() {
		runs := []func() (Reopen, error){
			func() (Reopen, error) { return CrashReopen(s, dir, Always, 256, cfg.SmallLog) },
			func() (Reopen, error) { return CrashReopen(s, dir, Never, 256, cfg.LargeLog) },
		}
		for range cfg.BigRuns {
			runs = append(runs, func() (Reopen, error) { return CrashReopen(s, dir, Always, cfg.BigRecord, cfg.BigCount) })
		}
		for _, pattern := range []bool{false, true} {
			for _, flip := range []bool{false, true} {
				t := Tear{Payload: cfg.BigRecord, Count: cfg.BigCount, Pattern: pattern, Cut: cfg.Tear, Flip: flip}
				runs = append(runs, func() (Reopen, error) { return TornReopen(s, dir, t) })
			}
		}
		for _, run := range runs {
			r, err := run()
			if err == nil {
				err = os.RemoveAll(dir)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(log, "reopen %s, %s: %v, %d of %d back\n", s.Name, r.Scenario, r.Open.Round(time.Millisecond), r.Entries, r.Pushed)
			res.Reopens = append(res.Reopens, r)
		}
	}
	return nil
}

// Validate checks the results against the comparison's own invariants,
// which no store's behaviour can excuse: every cell moved messages, every
// reopening was timed, and every control trial (no damage) lost nothing
// and said nothing. A failure means the harness is broken.
func (r *Results) Validate() error {
	var errs []error
	for _, x := range r.Rates {
		if x.Pairs == 0 {
			errs = append(errs, fmt.Errorf("%+v: no pairs", x.Case))
		}
	}
	for _, x := range r.Reopens {
		if x.Open <= 0 && x.Err == "" {
			errs = append(errs, fmt.Errorf("%s %s: reopening not timed", x.Store, x.Scenario))
		}
	}
	controls := 0
	for _, t := range r.Trials {
		if t.Op == OpNone {
			controls++
			if t.Result.Harm() || t.Result.Detected() {
				errs = append(errs, fmt.Errorf("%s %s: undamaged copy reopened as %+v", t.Store, t.File, t.Result))
			}
		}
	}
	if len(r.Trials) > 0 && controls == 0 {
		errs = append(errs, errors.New("no control trials"))
	}
	return errors.Join(errs...)
}
