package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"

	"github.com/sturdyws/sturdy/bench/internal/durable"
)

// durableRun is one run of the durable-queue comparison (-durable, and
// the second half of -check).
type durableRun struct {
	cfg      durable.Config
	dir      string // where the stores are written: the disk measured
	jsonPath string // every raw number (empty: none)
	mdPath   string // the tables too (empty: stdout only)
}

// durableMain is `go run . -durable`: the full comparison, or the tiny
// one with -check. -json and -md name its files only when given.
func durableMain(c config, dir string) error {
	if c.seed == 0 {
		c.seed = rand.Uint64() | 1
	}
	d := durableRun{cfg: durable.Full(c.seed), dir: dir, mdPath: c.mdPath}
	if c.check {
		d.cfg = durable.Check(c.seed)
	} else if _, err := os.Stat("internal/durable/depcost"); err == nil {
		d.cfg.ModuleDir = "." // run from bench/: the dependency costs can be built
	}
	if isSet("json") {
		d.jsonPath = c.jsonPath
	}
	return runDurable(d, os.Stdout, os.Stderr)
}

// runDurable runs the comparison in a fresh directory under d.dir, prints
// the tables to out and progress to log, writes the files asked for, and
// fails if the results break the comparison's own invariants.
func runDurable(d durableRun, out, log io.Writer) (err error) {
	work, err := os.MkdirTemp(d.dir, "sturdy-durable-")
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, os.RemoveAll(work)) }()
	res, err := durable.Run(d.cfg, work, log)
	if err != nil {
		return err
	}
	res.WriteMarkdown(out)
	if d.mdPath != "" {
		f, err := os.Create(d.mdPath)
		if err != nil {
			return err
		}
		res.WriteMarkdown(f)
		if err := f.Close(); err != nil {
			return err
		}
	}
	if d.jsonPath != "" {
		b, err := json.MarshalIndent(res, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(d.jsonPath, b, 0o644); err != nil {
			return err
		}
	}
	if err := res.Validate(); err != nil {
		return fmt.Errorf("durable comparison: %w", err)
	}
	return nil
}
