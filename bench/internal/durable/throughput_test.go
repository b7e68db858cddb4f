package durable

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestThroughputCountsAndCleansUp runs one short cell per store and
// checks that pairs were counted and every message was acknowledged:
// the store replays nothing afterwards.
func TestThroughputCountsAndCleansUp(t *testing.T) {
	for _, s := range Stores() {
		t.Run(s.Name, func(t *testing.T) {
			dir := t.TempDir()
			r, err := Throughput(s, Case{Store: s.Name, Policy: Never, Senders: 2, Payload: 256}, dir, 50*time.Millisecond)
			require.NoError(t, err)
			assert.Positive(t, r.Pairs)
			assert.Positive(t, r.PerSec())
			q, got := held(t, s, dir, Options{})
			assert.Empty(t, got, "every pushed message was acknowledged")
			require.NoError(t, q.Close())
		})
	}
	rate, err := FsyncRate(t.TempDir(), 256, 20*time.Millisecond)
	require.NoError(t, err)
	assert.Positive(t, rate)
}

// TestDepCostsBuilds builds the two small depcost programs: queue.File
// brings no module but sturdy's, bbolt brings itself (and x/sys).
func TestDepCostsBuilds(t *testing.T) {
	if testing.Short() {
		t.Skip("builds programs with the go command")
	}
	deps, err := DepCosts("../..", t.TempDir(), []string{"sturdy", "bbolt"})
	require.NoError(t, err)
	require.Len(t, deps, 2)
	assert.Equal(t, []string{"github.com/sturdyws/sturdy"}, deps[0].Modules)
	assert.Contains(t, deps[1].Modules, "go.etcd.io/bbolt")
	for _, d := range deps {
		assert.Positive(t, d.Binary)
		assert.True(t, d.NoCgo, "%s builds without cgo", d.Store)
		assert.Empty(t, d.Cgo)
	}
}
