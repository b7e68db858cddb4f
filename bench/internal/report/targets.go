package report

import (
	"fmt"
	"io"
)

// Library names the targets refer to.
const (
	libSturdy = "sturdy"
	libClient = "sturdy-client"
)

// peers are the libraries "the best peer" is chosen among.
func peers() []string { return []string{"gorilla", "coder", "gobwas", "gws"} }

// target is one of issue 8's goals, evaluated on this run.
type target struct {
	goal   string
	value  string
	paired string // the per-round comparison, for goals between two libraries
	met    bool
	absent bool // the numbers it needs are missing from this run
}

// WriteTargets writes the goals sturdy is held to, with where it stands
// in this run: the ratio of medians, which decides, and beside it the
// per-round comparison (Paired).
func (r *Run) WriteTargets(w io.Writer) {
	ts := r.targets()
	fmt.Fprintf(w, "\n### Targets\n\n| goal | this run | per round: median ratio (rounds met) | met |\n| --- | --- | --- | --- |\n")
	for _, t := range ts {
		met := "no"
		switch {
		case t.absent:
			met = "n/a"
		case t.met:
			met = "yes"
		}
		paired := t.paired
		if paired == "" {
			paired = "–"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", t.goal, t.value, paired, met)
	}
	r.writeResolution(w)
	r.writeObservers(w)
}

// libControl is the identical copy of the sturdy driver that -control
// adds.
const libControl = "sturdy-control"

// writeResolution writes, when the run has the control, how far sturdy and
// its identical copy differ in each scenario's throughput: the smallest
// gap between two libraries that this run can show.
func (r *Run) writeResolution(w io.Writer) {
	header := false
	for _, sc := range r.Scenarios {
		x, found := r.Ratio(sc, "msgs_per_s", libSturdy, libControl)
		if !found {
			continue
		}
		if !header {
			fmt.Fprintf(w, "\n### Resolution: sturdy against an identical copy of itself\n\n"+
				"| scenario | msgs/s, ratio of medians | per round: median ratio (rounds above 1) | per round: lowest – highest |\n| --- | --- | --- | --- |\n")
			header = true
		}
		s, above := r.Paired(sc, "msgs_per_s", libSturdy, libControl, func(x float64) bool { return x > 1 })
		fmt.Fprintf(w, "| %s | %.2f× | %.2f× (%d of %d) | %.2f – %.2f |\n", sc, x, s.Median, above, s.N, s.Min, s.Max)
	}
}

func (r *Run) targets() []target {
	var ts []target
	ratio := func(goal, sc, metric, lib, ref string, ok func(float64) bool) {
		x, found := r.Ratio(sc, metric, lib, ref)
		t := target{goal: goal, value: fmt.Sprintf("%.2f×", x), met: found && ok(x), absent: !found}
		if s, k := r.Paired(sc, metric, lib, ref, ok); s.N > 0 {
			t.paired = fmt.Sprintf("%.2f× (%d of %d)", s.Median, k, s.N)
		}
		ts = append(ts, t)
	}
	atLeast := func(v float64) func(float64) bool { return func(x float64) bool { return x >= v } }
	atMost := func(v float64) func(float64) bool { return func(x float64) bool { return x <= v } }

	ratio("push-64 msgs/s ≥ 1.5× gorilla", "push-64", "msgs_per_s", libSturdy, RefGorilla, atLeast(1.5))
	ratio("push-64 msgs/s ≥ 0.8× raw", "push-64", "msgs_per_s", libSturdy, RefRaw, atLeast(0.8))
	a := r.Summarize("push-64", libSturdy, "allocs")
	ts = append(ts, target{goal: "push-64 0 allocs/msg", value: fmt.Sprintf("%.4f allocs/msg", a.Median), met: a.N > 0 && a.Median < 0.01, absent: a.N == 0})
	for _, sc := range []string{"push-1k", "push-1m"} {
		best, lib := r.best(sc, "msgs_per_s", true)
		ratio(fmt.Sprintf("%s msgs/s ≥ 1.0× best peer (%s)", sc, lib), sc, "msgs_per_s", libSturdy, best, atLeast(1.0))
	}
	ratio("echo-128 p50 ≤ 1.05× raw", "echo-128", "p50_us", libSturdy, RefRaw, atMost(1.05))
	ratio("echo-128 p99 ≤ 1.05× raw", "echo-128", "p99_us", libSturdy, RefRaw, atMost(1.05))
	ratio("send-64 through the Client's queue ≥ 5× gorilla's per-message write", "send-64", "msgs_per_s", libClient, RefGorilla, atLeast(5))
	best, lib := r.best("idle", "heap_per_conn", false)
	ratio(fmt.Sprintf("idle transport.Conn heap ≤ best peer's (%s)", lib), "idle", "heap_per_conn", libSturdy, best, atMost(1.0))
	ratio(fmt.Sprintf("idle Client heap ≤ 2× best peer's (%s)", lib), "idle", "heap_per_conn", libClient, best, atMost(2.0))
	g := r.Summarize("idle", libClient, "goroutines_per_conn")
	ts = append(ts, target{goal: "idle Client goroutines ≤ 3", value: fmt.Sprintf("%.2f", g.Median), met: g.N > 0 && g.Median <= 3, absent: g.N == 0})
	return ts
}

// best returns the peer with the best median of metric in scenario.
func (r *Run) best(scenario, metric string, higher bool) (string, string) {
	bestLib, bestVal := "", 0.0
	for _, p := range peers() {
		s := r.Summarize(scenario, p, metric)
		if s.N == 0 {
			continue
		}
		if bestLib == "" || (higher && s.Median > bestVal) || (!higher && s.Median < bestVal) {
			bestLib, bestVal = p, s.Median
		}
	}
	return bestLib, bestLib
}
