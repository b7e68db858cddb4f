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
