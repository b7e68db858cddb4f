package durable

import (
	"bytes"
	"os"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Environment of TestDamageMatrix: the first seed and how many, for a
// longer run or to repeat one.
const (
	seedEnv  = "STURDY_DURABLE_SEED"
	seedsEnv = "STURDY_DURABLE_SEEDS"
)

func envUint(t *testing.T, name string, def uint64) uint64 {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	v, err := strconv.ParseUint(s, 10, 64)
	require.NoError(t, err, name)
	return v
}

// TestDamageMatrix runs the damage matrix on every store with its own
// file format and logs the table. It requires what the comparison itself
// depends on and what queue.File's documentation promises: undamaged
// copies reopen intact; every file of every store is damaged every way;
// queue.File never panics or dies on what it reads and never hands out a
// payload other than the one pushed under that number; deleting bbolt's
// only file loses the whole queue without a word (bbolt creates an empty
// one), which shows that the matrix sees a silent loss when there is one.
func TestDamageMatrix(t *testing.T) {
	first := envUint(t, seedEnv, 20261207)
	n := envUint(t, seedsEnv, 1)
	t.Logf("seeds %d.. (%d of them; set %s and %s to change)", first, n, seedEnv, seedsEnv)
	cfg := MatrixConfig{Messages: 60, Payload: 200, Seeds: seeds(first, int(n))}
	var all []Trial
	for _, s := range formatStores() {
		t.Run(s.Name, func(t *testing.T) {
			trials, err := RunMatrix(s, cfg, t.TempDir(), nil)
			require.NoError(t, err)
			all = append(all, trials...)
			files := map[string]map[Op]bool{}
			for _, tr := range trials {
				if files[tr.File] == nil {
					files[tr.File] = map[Op]bool{}
				}
				files[tr.File][tr.Op] = true
				r := tr.Result
				if tr.Op == OpNone {
					assert.False(t, r.Harm() || r.Detected(), "control of %s: %+v", tr.File, r)
				}
				if s.Name == "sturdy" {
					assert.False(t, r.Panic || r.Crashed, "%s %s: %s", tr.File, tr.What, r.Err)
					assert.Zero(t, r.Bad, "%s %s: a payload not the one pushed", tr.File, tr.What)
				}
				if s.Name == "bbolt" && tr.Op == OpDelete {
					assert.True(t, r.Silent() && r.Repeated && r.Lost == 30, "%+v", r)
				}
			}
			require.NotEmpty(t, files)
			for f, ops := range files {
				assert.True(t, ops[OpNone] && ops[OpDelete], "%s: control and delete", f)
			}
		})
	}
	var md bytes.Buffer
	(&Results{Config: Config{Matrix: cfg}, Trials: all}).writeDamage(&md)
	t.Log("\n" + md.String())
}
