// Package report turns the benchmark's raw numbers into what people read:
// a markdown table per scenario (medians with min–max and ratios against
// gorilla and the raw limit), the targets sturdy is held to, and a JSON
// file with every number.
package report

import (
	"encoding/json"
	"os"
	"slices"
	"time"
)

// Record is one run of one scenario with one library.
type Record struct {
	Round    int    `json:"round"`
	Scenario string `json:"scenario"`
	Lib      string `json:"lib"`
	// Pos is the library's place in the round's shuffled order, from 1
	// (0 in files written before the order was shuffled).
	Pos     int                `json:"pos,omitempty"`
	Metrics map[string]float64 `json:"metrics"`
}

// Failure is a library that failed the self-check or a run.
type Failure struct {
	Lib      string `json:"lib"`
	Scenario string `json:"scenario"`
	Round    int    `json:"round"` // 0 for the self-check
	Err      string `json:"error"`
}

// Run is everything one benchmark run produced.
type Run struct {
	Machine  Machine   `json:"machine"`
	Started  time.Time `json:"started"`
	Duration string    `json:"duration"`
	Rounds   int       `json:"rounds"`
	Scale    float64   `json:"scale"`
	// Seed drew the order of the libraries in every round.
	Seed uint64 `json:"seed"`
	// PeerReadBuffer is the -peer-read-buffer of the run; 0: the peers
	// ran with their default read buffers.
	PeerReadBuffer int       `json:"peer_read_buffer,omitempty"`
	Libs           []string  `json:"libs"`
	Scenarios      []string  `json:"scenarios"`
	Records        []Record  `json:"records"`
	Failures       []Failure `json:"failures"`
}

// WriteJSON writes r to path, indented.
func (r *Run) WriteJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// values returns every value of metric for scenario and lib.
func (r *Run) values(scenario, lib, metric string) []float64 {
	var v []float64
	for _, rec := range r.Records {
		if rec.Scenario == scenario && rec.Lib == lib {
			if x, ok := rec.Metrics[metric]; ok {
				v = append(v, x)
			}
		}
	}
	return v
}

// Paired compares lib with ref round by round: the median and range, over
// the rounds where both have metric, of lib's value divided by ref's
// (Summary.N counts those rounds), and how many of the ratios satisfy ok. Both ran in
// the same round, minutes apart at most, so a machine whose speed drifts
// between rounds moves both; when medians are close this is the steadier
// comparison.
func (r *Run) Paired(scenario, metric, lib, ref string, ok func(float64) bool) (s Summary, met int) {
	ratios := r.pairedRatios(scenario, metric, lib, ref)
	for _, x := range ratios {
		if ok(x) {
			met++
		}
	}
	return summarize(ratios), met
}

// pairedRatios returns lib's value of metric over ref's, one per round
// where both have it.
func (r *Run) pairedRatios(scenario, metric, lib, ref string) []float64 {
	refs := map[int]float64{}
	for _, rec := range r.Records {
		if rec.Scenario == scenario && rec.Lib == ref {
			if x, found := rec.Metrics[metric]; found && x != 0 {
				refs[rec.Round] = x
			}
		}
	}
	var ratios []float64
	for _, rec := range r.Records {
		if rec.Scenario != scenario || rec.Lib != lib {
			continue
		}
		x, found := rec.Metrics[metric]
		y, paired := refs[rec.Round]
		if !found || !paired {
			continue
		}
		ratios = append(ratios, x/y)
	}
	return ratios
}

// Summary is the median and range of a metric's values.
type Summary struct {
	Median, Min, Max float64
	N                int
}

// Summarize returns the summary of scenario's metric for lib; N is 0 when
// there are no values.
func (r *Run) Summarize(scenario, lib, metric string) Summary {
	return summarize(r.values(scenario, lib, metric))
}

// summarize returns v's median and range; it sorts v.
func summarize(v []float64) Summary {
	if len(v) == 0 {
		return Summary{}
	}
	slices.Sort(v)
	m := v[len(v)/2]
	if len(v)%2 == 0 {
		m = (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return Summary{Median: m, Min: v[0], Max: v[len(v)-1], N: len(v)}
}
