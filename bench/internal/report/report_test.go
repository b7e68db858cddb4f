package report

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"go.uber.org/goleak"

	"github.com/sturdyws/sturdy/bench/internal/scenario"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestSummaryAndRatio(t *testing.T) {
	r := &Run{Libs: []string{"sturdy", "gorilla", "raw"}}
	for i, v := range []float64{3, 1, 2, 10} {
		r.Records = append(r.Records, Record{Round: i + 1, Scenario: "push-64", Lib: "sturdy", Metrics: map[string]float64{"msgs_per_s": v}})
	}
	r.Records = append(r.Records,
		Record{Round: 1, Scenario: "push-64", Lib: "gorilla", Metrics: map[string]float64{"msgs_per_s": 2}},
		Record{Round: 1, Scenario: "push-64", Lib: "raw", Metrics: map[string]float64{"msgs_per_s": 5}})
	s := r.Summarize("push-64", "sturdy", "msgs_per_s")
	assert.Equal(t, Summary{Median: 2.5, Min: 1, Max: 10, N: 4}, s)
	x, ok := r.Ratio("push-64", "msgs_per_s", "sturdy", "gorilla")
	assert.True(t, ok)
	assert.InDelta(t, 1.25, x, 1e-9)
	_, ok = r.Ratio("push-64", "msgs_per_s", "sturdy", "coder")
	assert.False(t, ok, "no numbers for coder")

	var out bytes.Buffer
	r.WriteTables(&out, []scenario.Scenario{scenario.Push{Size: 64}})
	assert.Contains(t, out.String(), "| sturdy | 2.50 (1.00–10.0) |")
	assert.Contains(t, out.String(), "| 1.25 | 0.50 |")
}

// TestPaired: the per-round comparison pairs values by round, skips rounds
// one side lacks, and counts the rounds that meet the goal; the targets
// table shows it beside the ratio of medians.
func TestPaired(t *testing.T) {
	r := &Run{}
	add := func(round int, lib string, v float64) {
		r.Records = append(r.Records, Record{Round: round, Scenario: "push-1k", Lib: lib, Metrics: map[string]float64{"msgs_per_s": v}})
	}
	// Round by round sturdy leads gobwas 3 times of 4, although the
	// machine's speed halves and doubles between rounds.
	for i, v := range [][2]float64{{10, 8}, {5, 6}, {22, 20}, {11, 10}} {
		add(i+1, "sturdy", v[0])
		add(i+1, "gobwas", v[1])
	}
	add(5, "sturdy", 100) // gobwas did not run: not paired
	atLeast1 := func(x float64) bool { return x >= 1 }
	s, met := r.Paired("push-1k", "msgs_per_s", "sturdy", "gobwas", atLeast1)
	assert.Equal(t, 4, s.N)
	assert.Equal(t, 3, met)
	assert.InDelta(t, 1.1, s.Median, 1e-9, "ratios 1.25, 0.83, 1.1, 1.1")
	s, _ = r.Paired("push-1k", "msgs_per_s", "sturdy", "coder", atLeast1)
	assert.Zero(t, s.N)

	var out bytes.Buffer
	r.WriteTargets(&out)
	assert.Contains(t, out.String(), "| push-1k msgs/s ≥ 1.0× best peer (gobwas) | 1.22× | 1.10× (3 of 4) | yes |")
}

// TestResolution: with the control in the run, the targets are followed by
// how far sturdy and its identical copy differ; without it, by nothing.
func TestResolution(t *testing.T) {
	r := &Run{Scenarios: []string{"push-1m"}}
	var out bytes.Buffer
	r.WriteTargets(&out)
	assert.NotContains(t, out.String(), "Resolution")
	for i, v := range [][2]float64{{100, 90}, {80, 100}, {110, 100}} {
		for j, lib := range []string{"sturdy", "sturdy-control"} {
			r.Records = append(r.Records, Record{Round: i + 1, Scenario: "push-1m", Lib: lib, Metrics: map[string]float64{"msgs_per_s": v[j]}})
		}
	}
	out.Reset()
	r.WriteTargets(&out)
	assert.Contains(t, out.String(), "### Resolution")
	assert.Contains(t, out.String(), "| push-1m | 1.00× | 1.10× (2 of 3) | 0.80 – 1.11 |")
}
