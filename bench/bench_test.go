package main

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/sturdyws/sturdy/bench/internal/drivers"
	"github.com/sturdyws/sturdy/bench/internal/scenario"
)

// TestMain doubles as the benchmark server when the test binary is
// re-executed as one (see asChild), or as another of the benchmark's
// children, and checks for leaked goroutines otherwise.
func TestMain(m *testing.M) {
	if code, ok := asChild(); ok {
		os.Exit(code)
	}
	goleak.VerifyTestMain(m)
}

// TestCheck runs what `go run . -check` runs: the byte-exact self-check
// of every library, then every scenario once at a tiny scale, and expects
// numbers from every library in every scenario that applies to it.
func TestCheck(t *testing.T) {
	out := checkRun(t, config{rounds: 1, scale: checkScale, drivers: drivers.All(drivers.Options{}), scenarios: scenario.All(), check: true})
	assert.Contains(t, out, "### Targets")
	assert.NotContains(t, out, "Not the defaults")
}

// TestRoundOrder checks the shuffled order: every round runs every
// library once, one seed gives the same orders again, and over a run no
// library keeps one place or one neighbour before it.
func TestRoundOrder(t *testing.T) {
	ds := drivers.All(drivers.Options{})
	orders := func(seed uint64) [][]string {
		rng := rand.New(rand.NewPCG(seed, 0))
		var out [][]string
		for range 20 {
			out = append(out, driverNames(roundOrder(ds, rng)))
		}
		return out
	}
	got := orders(7)
	assert.Equal(t, got, orders(7), "same seed, same orders")
	assert.NotEqual(t, got, orders(8), "another seed, other orders")
	want := driverNames(ds)
	slices.Sort(want)
	firsts := map[string]bool{}
	before := map[string]map[string]bool{} // library -> libraries seen right before it
	for _, o := range got {
		assert.ElementsMatch(t, want, o)
		firsts[o[0]] = true
		for i := 1; i < len(o); i++ {
			if before[o[i]] == nil {
				before[o[i]] = map[string]bool{}
			}
			before[o[i]][o[i-1]] = true
		}
	}
	assert.Greater(t, len(firsts), 2, "libraries that ran first")
	for lib, prev := range before {
		assert.Greater(t, len(prev), 1, "%s always ran after the same library", lib)
	}
}

// TestCheckOptions runs the push scenarios with the control and with the
// peers' read buffers at 64 KiB: every library still moves the exact
// bytes, and the report says what was not the default.
func TestCheckOptions(t *testing.T) {
	o := drivers.Options{PeerReadBuffer: 64 << 10}
	ds, err := pickDrivers("sturdy,gorilla,gobwas,gws", true, false, o)
	require.NoError(t, err)
	scs, err := pickScenarios("push-64,push-1k,push-1m")
	require.NoError(t, err)
	out := checkRun(t, config{rounds: 1, scale: checkScale, drivers: ds, scenarios: scs, check: true, control: true, Options: o})
	assert.Contains(t, out, "read with 65536-byte buffers")
	assert.Contains(t, out, "### Resolution")
}

// checkRun runs cfg and expects numbers from every library in every
// scenario that applies to it; it returns the report.
func checkRun(t *testing.T, cfg config) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var out, log bytes.Buffer
	res, err := run(ctx, cfg, &out, &log)
	require.NoError(t, err, "log:\n%s", log.String())
	require.Empty(t, res.Failures)
	for _, r := range res.Records {
		assert.Positive(t, r.Pos, "%s %s: place in the round", r.Scenario, r.Lib)
		if strings.HasPrefix(r.Scenario, "push-") && !strings.Contains(r.Scenario, "deflate") {
			assert.Positive(t, r.Metrics["msgs_per_s_solo"], "%s %s: the solo run's msgs/s, kept beside the turns'", r.Scenario, r.Lib)
		}
	}
	for _, sc := range cfg.scenarios {
		for _, d := range cfg.drivers {
			if !sc.Applies(d) {
				continue
			}
			s := res.Summarize(sc.Name(), d.Name(), sc.Metrics()[0].Key)
			if assert.Equal(t, 1, s.N, "%s %s: runs", sc.Name(), d.Name()) {
				assert.Greater(t, s.Median, 0.0, "%s %s: %s", sc.Name(), d.Name(), sc.Metrics()[0].Key)
			}
		}
	}
	return out.String()
}

// TestPickDriversKeepsReferences checks that the ratio references stay in
// a run that names other libraries only.
func TestPickDriversKeepsReferences(t *testing.T) {
	ds, err := pickDrivers("sturdy", false, false, drivers.Options{})
	require.NoError(t, err)
	assert.Equal(t, []string{"sturdy", "gorilla", "raw"}, driverNames(ds))
	ds, err = pickDrivers("gobwas", true, false, drivers.Options{})
	require.NoError(t, err)
	assert.Equal(t, []string{"sturdy-control", "gorilla", "gobwas", "raw"}, driverNames(ds), "the control comes with -control")
	_, err = pickDrivers("nope", false, false, drivers.Options{})
	require.Error(t, err)
	_, err = pickScenarios("push-64,nope")
	require.Error(t, err)
	ds, err = pickDrivers("gobwas", false, true, drivers.Options{})
	require.NoError(t, err)
	assert.Equal(t, []string{"sturdy-client", "sturdy-client-nop", "sturdy-client-otel", "sturdy-client-control", "gorilla", "gobwas", "raw"}, driverNames(ds),
		"-observers keeps the Client and its variants, the reference of their ratios")
}

// TestCheckObservers runs the Client's scenarios with -observers: the
// Client with an Observer moves the exact bytes too, and the report
// compares it with the Client without.
func TestCheckObservers(t *testing.T) {
	ds, err := pickDrivers("sturdy-client", false, true, drivers.Options{})
	require.NoError(t, err)
	scs, err := pickScenarios("send-64,push-64")
	require.NoError(t, err)
	out := checkRun(t, config{rounds: 1, scale: checkScale, drivers: ds, scenarios: scs, check: true, observers: true})
	assert.Contains(t, out, "### Observer overhead")
	assert.Contains(t, out, "| send-64 | OpenTelemetry adapter |")
	assert.Contains(t, out, "| push-64 | hook set (NopObserver) |")
}
