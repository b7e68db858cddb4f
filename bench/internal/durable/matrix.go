package durable

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
)

// MatrixConfig sizes a damage matrix.
type MatrixConfig struct {
	// Messages pushed into the reference store, of Payload bytes; the
	// first quarter and every third are acknowledged, so the log holds
	// removals, holes and a live tail.
	Messages int
	Payload  int
	// Seeds: every random damage (truncate, flip, zero) is tried once
	// per seed on every file; delete and the control once per file.
	Seeds []uint64
}

// Trial is one damaged reopening.
type Trial struct {
	Store  string
	File   string // the file damaged, by its name in the reference
	Op     Op
	Seed   uint64
	What   string // what the damage did
	Result Outcome
}

// Outcome is what reopening a damaged store did.
type Outcome struct {
	Refused     bool     // opening returned an error: detected, but nothing is delivered
	Reported    bool     // the store opened and reported damage
	Damage      []string // the store's report
	Err         string   // the error, or how the child died
	Panic       bool     // the store panicked (recovered in the child)
	Crashed     bool     // the child died: a fatal error or an exit
	Lost        int      // live messages not delivered intact
	Resurrected int      // acknowledged messages delivered again
	Bad         int      // messages delivered with a failing checksum, or under another's number
	Repeated    bool     // the next push got a number handed out before
}

// Detected reports whether the store said anything: an error, a report,
// a panic or a dead process.
func (o Outcome) Detected() bool { return o.Refused || o.Reported || o.Panic || o.Crashed }

// Harm reports whether anything promised was broken.
func (o Outcome) Harm() bool { return o.Lost > 0 || o.Resurrected > 0 || o.Bad > 0 || o.Repeated }

// Silent reports harm without a word: the case that must never happen.
func (o Outcome) Silent() bool { return o.Harm() && !o.Detected() }

// reference is a store written by a child and closed cleanly, and what
// it must hold.
type reference struct {
	dir    string
	live   map[uint64]uint64 // number → payload index
	acked  map[uint64]bool
	maxSeq uint64
	files  []string
}

// makeReference fills a fresh store in dir as cfg says, in a child.
func makeReference(s Store, dir string, cfg MatrixConfig) (*reference, error) {
	res, err := runChild(job{
		Op: opFill, Store: s.Name, Dir: dir, Opts: Options{Policy: Never, SmallFiles: true},
		Payload: cfg.Payload, Count: cfg.Messages, AckFirst: cfg.Messages / 4, AckEvery: 3,
	})
	if err == nil && res.Err != "" {
		err = errors.New(res.Err)
	}
	if err != nil {
		return nil, fmt.Errorf("durable: reference %s: %w", s.Name, err)
	}
	ref := &reference{dir: dir, live: map[uint64]uint64{}, acked: map[uint64]bool{}}
	for _, it := range res.Pushed {
		ref.live[it.Seq] = it.Index
		ref.maxSeq = max(ref.maxSeq, it.Seq)
	}
	for _, seq := range res.Acked {
		delete(ref.live, seq)
		ref.acked[seq] = true
	}
	ref.files, err = dataFiles(s, dir)
	return ref, err
}

// judge compares a reopened store's result with the reference.
func (ref *reference) judge(res childResult, err error) Outcome {
	var o Outcome
	var crash *CrashError
	switch {
	case errors.As(err, &crash):
		o.Crashed, o.Err = true, crash.Error()
		o.Lost = len(ref.live)
		return o
	case res.Panic != "":
		o.Panic, o.Err = true, "panic: "+res.Panic
		o.Lost = len(ref.live)
		return o
	case !res.Opened:
		o.Refused, o.Err = true, res.Err
		o.Lost = len(ref.live)
		return o
	}
	// The store opened; an error after that (pushing) still counts as
	// said.
	o.Err = res.Err
	o.Refused = res.Err != ""
	o.Damage = res.Damage
	o.Reported = len(res.Damage) > 0
	o.Bad = res.Bad
	delivered := map[uint64]bool{}
	for _, it := range res.Items {
		switch idx, live := ref.live[it.Seq]; {
		case ref.acked[it.Seq]:
			o.Resurrected++
		case !live || idx != it.Index:
			o.Bad++
		default:
			delivered[it.Seq] = true
		}
	}
	o.Lost = len(ref.live) - len(delivered)
	o.Repeated = res.NextSeq != 0 && res.NextSeq <= ref.maxSeq
	return o
}

// RunMatrix damages a reference store of s file by file, op by op, seed
// by seed, and reopens each copy in a child. work is a directory the
// matrix may fill and leaves empty. done, if set, is told of every trial.
func RunMatrix(s Store, cfg MatrixConfig, work string, done func(Trial)) ([]Trial, error) {
	ref, err := makeReference(s, filepath.Join(work, "ref"), cfg)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(ref.dir)
	var trials []Trial
	trialDir := filepath.Join(work, "trial")
	for _, file := range ref.files {
		for _, op := range Ops {
			seeds := cfg.Seeds
			if op == OpNone || op == OpDelete {
				seeds = seeds[:min(1, len(seeds))]
			}
			for _, seed := range seeds {
				t := Trial{Store: s.Name, File: file, Op: op, Seed: seed}
				if err := copyDir(ref.dir, trialDir); err != nil {
					return trials, err
				}
				rng := rand.New(rand.NewPCG(seed, uint64(len(trials))))
				t.What, err = Damage(filepath.Join(trialDir, file), op, rng)
				if errors.Is(err, errEmpty) {
					if err := os.RemoveAll(trialDir); err != nil {
						return trials, err
					}
					continue
				}
				if err != nil {
					return trials, err
				}
				res, err := runChild(job{Op: opOpen, Store: s.Name, Dir: trialDir, Opts: Options{Policy: Never, SmallFiles: true}, List: true, Push: true})
				var crash *CrashError
				if err != nil && !errors.As(err, &crash) {
					return trials, err
				}
				t.Result = ref.judge(res, err)
				trials = append(trials, t)
				if done != nil {
					done(t)
				}
				if err := os.RemoveAll(trialDir); err != nil {
					return trials, err
				}
			}
		}
	}
	return trials, nil
}
