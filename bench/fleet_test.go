package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sturdyws/sturdy/bench/internal/fleet"
)

// TestFleet runs the scale scenario as -check does, at a smaller N: both
// kinds connect, idle through two heartbeat rounds counted by the server,
// come back after the server's SIGKILL and restart, and close without
// leaving a goroutine behind (their client process checks, and fails the
// run otherwise); the report has every row and the goals, and the
// profiles asked for are written.
func TestFleet(t *testing.T) {
	fc := checkFleet()
	fc.n, fc.idle, fc.profile, fc.send = 20, 200*time.Millisecond, t.TempDir(), 3
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var log bytes.Buffer
	res, err := runFleet(ctx, fc, &log)
	require.NoError(t, err, "log:\n%s", log.String())
	require.Len(t, res.Kinds, 2)
	for _, k := range res.Kinds {
		assert.GreaterOrEqual(t, k.Idle.GoroutinesPer, 1.0, "%s: its goroutines are counted", k.Kind)
		assert.Greater(t, k.Idle.CPU, time.Duration(0), "%s: pings cost CPU", k.Kind)
		assert.GreaterOrEqual(t, k.Idle.Window, time.Duration(fc.windows)*fc.idle, "%s: the windows asked for, at least", k.Kind)
		assert.Len(t, k.Idle.Windows, fc.windows, "%s: each window's CPU", k.Kind)
		assert.GreaterOrEqual(t, k.Storm.AllBack, fc.down, "%s: none back before the server", k.Kind)
		assert.Positive(t, k.Storm.FirstDial[0], "%s: first dials after the kill", k.Kind)
		assert.LessOrEqual(t, k.Storm.FirstDial[2], k.Storm.AllBack, "%s: every member dialed before the last was back", k.Kind)
		sum := 0
		for _, n := range k.Storm.Attempts.Hist {
			sum += n
		}
		assert.Equal(t, fc.n, sum, "%s: every member in the histogram of attempts", k.Kind)
	}
	assert.Len(t, res.WindowRatios(), fc.windows, "the kinds' windows pair up")
	for _, kind := range fleet.Kinds() {
		for _, p := range []string{"cpu", "heap"} {
			st, err := os.Stat(filepath.Join(fc.profile, "fleet-"+kind+"-20-round1-"+p+".prof"))
			if assert.NoError(t, err, "-fleet-profile") {
				assert.Positive(t, st.Size())
			}
		}
	}
	var md strings.Builder
	res.WriteMarkdown(&md)
	for _, want := range []string{"| live heap", "| CPU while idle, per connection |", "| restart: all back after (from the kill) |",
		"| heap ≤ 8 KiB per idle Client |", "Each connection sent 3 message(s) of 100 B once up", "| restart: peak 100 ms of handshakes ≤ 2× the mean |", "- " + fleet.KindHand + ", round 1: ["} {
		assert.Contains(t, md.String(), want)
	}
}

// TestWholeIntervals checks that the idle window is rounded up to whole
// heartbeat intervals, so that it holds the same number of ping rounds
// whatever its phase.
func TestWholeIntervals(t *testing.T) {
	const iv = 15 * time.Second
	for _, c := range []struct{ window, want time.Duration }{
		{0, iv}, {time.Millisecond, iv}, {iv, iv}, {20 * time.Second, 2 * iv}, {30 * time.Second, 2 * iv}, {2*iv + 1, 3 * iv},
	} {
		assert.Equal(t, c.want, wholeIntervals(c.window, iv), "window %v", c.window)
	}
}

// TestFleetFileLimit checks that a fleet larger than the open-file limit
// allows is refused up front, with the limit in the error.
func TestFleetFileLimit(t *testing.T) {
	fc := checkFleet()
	fc.n = 1 << 40
	_, err := runFleet(context.Background(), fc, &bytes.Buffer{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "ulimit -n")
}
