package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/sturdyws/sturdy/bench/internal/scenario"
)

// Reference libraries of the ratio columns.
const (
	RefGorilla = "gorilla"
	RefRaw     = "raw"
)

// WriteTables writes one markdown table per scenario: each library's
// median with its min–max over the rounds, and for the ratio metrics the
// median divided by gorilla's and by raw's (for a "lower is better"
// metric a ratio under 1 is the better one).
func (r *Run) WriteTables(w io.Writer, scenarios []scenario.Scenario) {
	for _, sc := range scenarios {
		var rows []string
		for _, lib := range r.Libs {
			if r.Summarize(sc.Name(), lib, sc.Metrics()[0].Key).N == 0 {
				continue
			}
			rows = append(rows, lib)
		}
		if len(rows) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n### %s — %s\n\n", sc.Name(), sc.Describe())
		head := []string{"library"}
		for _, m := range sc.Metrics() {
			head = append(head, m.Header+arrow(m.Better))
		}
		for _, m := range sc.Metrics() {
			if m.Ratio {
				head = append(head, m.Header+" ×"+RefGorilla, m.Header+" ×"+RefRaw)
			}
		}
		fmt.Fprintf(w, "| %s |\n|%s\n", strings.Join(head, " | "), strings.Repeat(" --- |", len(head)))
		for _, lib := range rows {
			cells := []string{lib}
			for _, m := range sc.Metrics() {
				s := r.Summarize(sc.Name(), lib, m.Key)
				cell := m.Format(s.Median)
				if s.N > 1 {
					cell += fmt.Sprintf(" (%s–%s)", m.Format(s.Min), m.Format(s.Max))
				}
				cells = append(cells, cell)
			}
			for _, m := range sc.Metrics() {
				if m.Ratio {
					cells = append(cells, r.ratioCell(sc.Name(), m.Key, lib, RefGorilla), r.ratioCell(sc.Name(), m.Key, lib, RefRaw))
				}
			}
			fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | "))
		}
	}
}

// arrow marks which way a column improves.
func arrow(b scenario.Better) string {
	if b == scenario.Higher {
		return " ↑"
	}
	return " ↓"
}

// Ratio returns lib's median of metric over ref's, and whether both exist.
func (r *Run) Ratio(scenarioName, metric, lib, ref string) (float64, bool) {
	a := r.Summarize(scenarioName, lib, metric)
	b := r.Summarize(scenarioName, ref, metric)
	if a.N == 0 || b.N == 0 || b.Median == 0 {
		return 0, false
	}
	return a.Median / b.Median, true
}

func (r *Run) ratioCell(scenarioName, metric, lib, ref string) string {
	x, ok := r.Ratio(scenarioName, metric, lib, ref)
	if !ok {
		return "–"
	}
	return fmt.Sprintf("%.2f", x)
}
