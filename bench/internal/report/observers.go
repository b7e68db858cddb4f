package report

import (
	"fmt"
	"io"
)

// observed are the Client drivers -observers adds, each set against the
// Client without an Observer: the hook alone, the OpenTelemetry adapter,
// and an identical copy (the comparison's resolution).
var observed = []struct{ lib, what string }{
	{"sturdy-client-nop", "hook set (NopObserver)"},
	{"sturdy-client-otel", "OpenTelemetry adapter"},
	{"sturdy-client-control", "identical copy, unset (resolution)"},
}

// writeObservers writes, when the run has -observers, what an Observer
// costs the Client in each scenario: msgs/s of the Client with it divided
// by msgs/s without (below 1: slower); CPU per message with it divided by
// CPU without (above 1: dearer), which other tenants of the machine
// disturb less than time does; and the allocations per message of both.
func (r *Run) writeObservers(w io.Writer) {
	header := false
	for _, sc := range r.Scenarios {
		for _, o := range observed {
			x, found := r.Ratio(sc, "msgs_per_s", o.lib, libClient)
			if !found {
				continue
			}
			if !header {
				fmt.Fprintf(w, "\n### Observer overhead: the Client with an Observer against the Client without\n\n"+
					"| scenario | observer | msgs/s ratio of medians | per round: median ratio (lowest – highest) | CPU ns/msg ratio of medians | per round: median ratio (lowest – highest) | allocs/msg with – without |\n| --- | --- | --- | --- | --- | --- | --- |\n")
				header = true
			}
			all := func(float64) bool { return true }
			s, _ := r.Paired(sc, "msgs_per_s", o.lib, libClient, all)
			cx, _ := r.Ratio(sc, "cpu_ns", o.lib, libClient)
			cs, _ := r.Paired(sc, "cpu_ns", o.lib, libClient, all)
			a, a0 := r.Summarize(sc, o.lib, "allocs"), r.Summarize(sc, libClient, "allocs")
			fmt.Fprintf(w, "| %s | %s | %.2f× | %.2f× (%.2f – %.2f) | %.2f× | %.2f× (%.2f – %.2f) | %.2f – %.2f |\n",
				sc, o.what, x, s.Median, s.Min, s.Max, cx, cs.Median, cs.Min, cs.Max, a.Median, a0.Median)
		}
	}
}
