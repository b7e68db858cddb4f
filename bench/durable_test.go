package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sturdyws/sturdy/bench/internal/durable"
)

// TestRunDurable runs the durable comparison at the smallest scale that
// takes every path, and checks what -durable leaves behind: the tables
// on stdout and in -md, every raw number in -json, and an empty work
// directory.
func TestRunDurable(t *testing.T) {
	dir := t.TempDir()
	cfg := durable.Config{
		Rounds: 1, Cell: time.Millisecond, Payloads: []int{256}, Senders: []int{2},
		SmallLog: 3, LargeLog: 10, BigRecord: 8 << 10, BigCount: 2, BigRuns: 1, Tear: 1 << 10,
		Matrix: durable.MatrixConfig{Messages: 12, Payload: 100, Seeds: []uint64{1}},
		Seed:   1,
	}
	var out, log bytes.Buffer
	d := durableRun{cfg: cfg, dir: dir, jsonPath: filepath.Join(dir, "r.json"), mdPath: filepath.Join(dir, "r.md")}
	require.NoError(t, runDurable(d, &out, &log))

	md, err := os.ReadFile(d.mdPath)
	require.NoError(t, err)
	assert.Equal(t, out.String(), string(md))
	for _, want := range []string{"Push+ack pairs per second, 256 B", "Reopening after a crash", "#### Damage", "| **sturdy** | **all** |", "| **bbolt** | **all** |", "| **pebble** | **all** |", "| bbolt-batch |"} {
		assert.Contains(t, out.String(), want)
	}
	var res durable.Results
	raw, err := os.ReadFile(d.jsonPath)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &res))
	assert.Len(t, res.Rates, 3*len(durable.Stores()), "every store, every policy")
	assert.Len(t, res.Reopens, 3*7, "seven reopenings of each format")
	assert.NotEmpty(t, res.Trials)

	left, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, left, 2, "only the two result files: the work directory is gone")
}
