package durable

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// WriteMarkdown writes the results as the tables of bench/README.md.
func (r *Results) WriteMarkdown(w io.Writer) {
	var disk []string
	for _, f := range r.FsyncPerSec {
		disk = append(disk, fmtRate(f))
	}
	fmt.Fprintf(w, "Run of %s, seed %d; the disk's fsyncs per second (256 B appends) in each round: %s.\n\n",
		r.Started.Format(time.DateOnly), r.Config.Seed, strings.Join(disk, ", "))
	r.writeThroughput(w)
	r.writeReopens(w)
	r.writeDamage(w)
	r.writeDeps(w)
}

func (r *Results) writeDeps(w io.Writer) {
	if len(r.Deps) == 0 {
		return
	}
	fmt.Fprintln(w, "#### What building on it costs a program (the smallest program using each: internal/durable/depcost)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| store | binary (-trimpath -s -w) | modules added | packages with cgo | builds with CGO_ENABLED=0 |")
	fmt.Fprintln(w, "|---|--:|--:|--:|---|")
	for _, d := range r.Deps {
		fmt.Fprintf(w, "| %s | %.1f MiB | %d | %d | %v |\n", d.Store, float64(d.Binary)/(1<<20), len(d.Modules), len(d.Cgo), d.NoCgo)
	}
	fmt.Fprintln(w)
}

func (r *Results) writeThroughput(w io.Writer) {
	for _, size := range r.Config.Payloads {
		fmt.Fprintf(w, "#### Push+ack pairs per second, %s payloads (median of %d rounds of %v)\n\n", sizeName(size), r.Config.Rounds, r.Config.Cell)
		head := "| store |"
		rule := "|---|"
		for _, p := range Policies {
			for _, n := range r.Config.Senders {
				head += fmt.Sprintf(" %s, %d |", p, n)
				rule += "--:|"
			}
		}
		fmt.Fprintf(w, "%s always, %d, per fsync of the disk |\n%s--:|\n", head, r.Config.Senders[len(r.Config.Senders)-1], rule)
		most := r.Config.Senders[len(r.Config.Senders)-1]
		for _, s := range Stores() {
			fmt.Fprintf(w, "| %s |", s.Name)
			for _, p := range Policies {
				for _, n := range r.Config.Senders {
					fmt.Fprintf(w, " %s |", fmtRate(r.rate(Case{Store: s.Name, Policy: p, Senders: n, Payload: size})))
				}
			}
			fmt.Fprintf(w, " %.2f |\n", r.perFsync(Case{Store: s.Name, Policy: Always, Senders: most, Payload: size}))
		}
		fmt.Fprintln(w)
	}
}

// perFsync is the median over the rounds of a cell's pairs per second
// over the disk's fsyncs per second in the same round: the disk's pace
// moves a lot on a shared machine, so each round is set against its own.
func (r *Results) perFsync(c Case) float64 {
	var v []float64
	for _, x := range r.Rates {
		if x.Case == c && x.Round < len(r.FsyncPerSec) && r.FsyncPerSec[x.Round] > 0 {
			v = append(v, x.PerSec()/r.FsyncPerSec[x.Round])
		}
	}
	return median(v)
}

// rate is the median pairs per second of a cell over the rounds.
func (r *Results) rate(c Case) float64 {
	var v []float64
	for _, x := range r.Rates {
		if x.Case == c {
			v = append(v, x.PerSec())
		}
	}
	return median(v)
}

func (r *Results) writeReopens(w io.Writer) {
	fmt.Fprintf(w, "#### Reopening after a crash: time to open and count (pushes back of pushes returned)\n\n")
	var scen []string
	for _, x := range r.Reopens {
		if !slices.Contains(scen, x.Scenario) {
			scen = append(scen, x.Scenario)
		}
	}
	stores := formatStores()
	fmt.Fprint(w, "| scenario |")
	for _, s := range stores {
		fmt.Fprintf(w, " %s |", s.Name)
	}
	fmt.Fprint(w, "\n|---|")
	fmt.Fprint(w, strings.Repeat("---|", len(stores)))
	fmt.Fprintln(w)
	for _, sc := range scen {
		fmt.Fprintf(w, "| %s |", sc)
		for _, s := range stores {
			var cells []string
			for _, x := range r.Reopens {
				if x.Store == s.Name && x.Scenario == sc {
					cells = append(cells, reopenCell(x))
				}
			}
			fmt.Fprintf(w, " %s |", strings.Join(cells, "; "))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w)
}

func reopenCell(x Reopen) string {
	s := fmt.Sprintf("%s (%d/%d", fmtDur(x.Open), x.Entries, x.Pushed)
	if x.Bad > 0 {
		s += fmt.Sprintf(", %d bad", x.Bad)
	}
	if len(x.Damage) > 0 {
		s += ", reported"
	}
	if x.Err != "" {
		s += ", error: " + strings.ReplaceAll(truncate(x.Err, 60), "|", "/")
	}
	return s + ")"
}

// Tally counts a set of damage trials.
type Tally struct {
	Trials, Clean, Silent, Detected, Refused, Panics, Crashes int
	Lost, Resurrected, Bad, Repeated                          int
}

func (t *Tally) add(o Outcome) {
	t.Trials++
	switch {
	case o.Silent():
		t.Silent++
	case !o.Harm() && !o.Detected():
		t.Clean++
	}
	if o.Detected() {
		t.Detected++
	}
	if o.Refused {
		t.Refused++
	}
	if o.Panic {
		t.Panics++
	}
	if o.Crashed {
		t.Crashes++
	}
	t.Lost += o.Lost
	t.Resurrected += o.Resurrected
	t.Bad += o.Bad
	if o.Repeated {
		t.Repeated++
	}
}

// Tallies counts trials by store and by store and op.
func Tallies(trials []Trial) (byStore map[string]*Tally, byOp map[string]map[Op]*Tally) {
	byStore = map[string]*Tally{}
	byOp = map[string]map[Op]*Tally{}
	for _, t := range trials {
		if byStore[t.Store] == nil {
			byStore[t.Store] = &Tally{}
			byOp[t.Store] = map[Op]*Tally{}
		}
		if byOp[t.Store][t.Op] == nil {
			byOp[t.Store][t.Op] = &Tally{}
		}
		byStore[t.Store].add(t.Result)
		byOp[t.Store][t.Op].add(t.Result)
	}
	return byStore, byOp
}

func (r *Results) writeDamage(w io.Writer) {
	byStore, byOp := Tallies(r.Trials)
	fmt.Fprintf(w, "#### Damage: %d messages of %d B (the first quarter and every third acknowledged), every file, %d seeds\n\n", r.Config.Matrix.Messages, r.Config.Matrix.Payload, len(r.Config.Matrix.Seeds))
	fmt.Fprintln(w, "| store | damage | trials | harmless | silent harm | detected | of which refused to open | panics | crashes | live lost | acked back | bad payloads | numbers repeated |")
	fmt.Fprintln(w, "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
	for _, s := range formatStores() {
		t := byStore[s.Name]
		if t == nil {
			continue
		}
		for _, op := range Ops {
			if x := byOp[s.Name][op]; x != nil {
				writeTally(w, s.Name, op.String(), x)
			}
		}
		writeTally(w, "**"+s.Name+"**", "**all**", t)
	}
	fmt.Fprintln(w)
}

func writeTally(w io.Writer, store, op string, t *Tally) {
	fmt.Fprintf(w, "| %s | %s | %d | %d | %d | %d | %d | %d | %d | %d | %d | %d | %d |\n",
		store, op, t.Trials, t.Clean, t.Silent, t.Detected, t.Refused, t.Panics, t.Crashes, t.Lost, t.Resurrected, t.Bad, t.Repeated)
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func fmtRate(v float64) string {
	switch {
	case v >= 10_000:
		return fmt.Sprintf("%.0fk", v/1000)
	case v >= 1000:
		return fmt.Sprintf("%.1fk", v/1000)
	}
	return fmt.Sprintf("%.0f", v)
}

func fmtDur(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.1f s", d.Seconds())
	case d >= time.Millisecond:
		return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
