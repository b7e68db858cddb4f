package fleet

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/sturdyws/sturdy/bench/internal/report"
)

// Result is one run of the scale scenario: in each round both kinds,
// one after the other (the order alternating from round to round), each
// with its own server and client processes.
type Result struct {
	Machine   report.Machine `json:"machine"`
	Started   time.Time      `json:"started"`
	N         int            `json:"n"`
	Heartbeat time.Duration  `json:"heartbeat_ns"` // the ping interval both kinds used
	Down      time.Duration  `json:"down_ns"`
	Rounds    int            `json:"rounds"`
	Send      int            `json:"send,omitempty"` // messages each connection sent once up (Settings.Send)
	Command   string         `json:"command"`
	Kinds     []KindResult   `json:"kinds"`
}

// KindResult is what one kind's fleet measured.
type KindResult struct {
	Kind  string `json:"kind"`
	Round int    `json:"round"`
	Up    Up     `json:"up"`
	Idle  Idle   `json:"idle"`
	Storm Storm  `json:"storm"`
}

// Storm is the restart: the server killed with SIGKILL, a new one
// listening on the same port Down later.
type Storm struct {
	// AllBack is from the kill to the handshake of the last member to
	// come back (the server's clock; the same machine's as the kill's).
	AllBack time.Duration `json:"all_back_ns"`
	// Listen is from the kill to the new server listening (Down, and the
	// time a command takes).
	Listen time.Duration `json:"listen_ns"`
	// FirstDial is from the kill to the members' first dials: the
	// earliest, the median and the latest.
	FirstDial  [3]time.Duration `json:"first_dial_ns"`
	Attempts   Attempts         `json:"attempts"`
	Handshakes int              `json:"handshakes"` // on the new server until all were back; more than N: some came back twice
	// Buckets are the new server's handshakes per BucketWidth, from the
	// moment it listened to the one holding the last member's return.
	Buckets []int `json:"buckets"`
}

// NewStorm assembles a Storm from the times and counts the processes
// reported: the kill, the new server's listen time, the last member's
// return, and the server's buckets (those after the last return are left
// out).
func NewStorm(kill, listen, back time.Time, handshakes int, a Attempts, buckets []int) Storm {
	last := max(0, min(int(back.Sub(listen)/BucketWidth), len(buckets)-1))
	s := Storm{AllBack: back.Sub(kill), Listen: listen.Sub(kill), Attempts: a, Handshakes: handshakes, Buckets: buckets[:last+1]}
	for i, t := range a.First {
		s.FirstDial[i] = time.Unix(0, t).Sub(kill)
	}
	return s
}

// Peak is the largest bucket.
func (s Storm) Peak() int {
	p := 0
	for _, b := range s.Buckets {
		p = max(p, b)
	}
	return p
}

// PeakOverMean is the largest bucket over the mean of the buckets from
// the restart to the last return.
func (s Storm) PeakOverMean() float64 {
	sum := 0
	for _, b := range s.Buckets {
		sum += b
	}
	if sum == 0 {
		return 0
	}
	return float64(s.Peak()) / (float64(sum) / float64(len(s.Buckets)))
}

// AttemptsPer is the mean number of dials per member, the successful one
// included.
func (s Storm) AttemptsPer(n int) float64 { return float64(s.Attempts.Total) / float64(n) }

// Validate checks what every run must show, whatever the figures: every
// member connected, measured and back after the restart, having dialed at
// least once, and nothing back before the server was.
func (r *Result) Validate() error {
	var errs []error
	for _, k := range r.Kinds {
		bad := func(format string, a ...any) {
			errs = append(errs, fmt.Errorf("%s: "+format, append([]any{k.Kind}, a...)...))
		}
		if k.Idle.HeapPer <= 0 || k.Idle.GoroutinesPer <= 0 || k.Idle.Window <= 0 {
			bad("idle figures missing: %+v", k.Idle)
		}
		if k.Storm.Attempts.Min < 1 {
			bad("a member came back without dialing (min %d dials)", k.Storm.Attempts.Min)
		}
		if k.Storm.AllBack < k.Storm.Listen || k.Storm.Listen < r.Down {
			bad("back after %v, listening after %v, down %v", k.Storm.AllBack, k.Storm.Listen, r.Down)
		}
		if k.Storm.Handshakes < r.N {
			bad("%d handshakes, %d members", k.Storm.Handshakes, r.N)
		}
	}
	if len(r.Kinds) == 0 {
		errs = append(errs, errors.New("no fleet measured"))
	}
	return errors.Join(errs...)
}

// stat is the median, lowest and highest of f over the rounds of kind k,
// and how many rounds there were.
func (r *Result) stat(k string, f func(KindResult) float64) (med, lo, hi float64, n int) {
	var xs []float64
	for _, x := range r.Kinds {
		if x.Kind == k {
			xs = append(xs, f(x))
		}
	}
	med, lo, hi = median(xs)
	return med, lo, hi, len(xs)
}

// median returns the median of xs, its lowest and its highest (zeros when
// empty); it sorts xs.
func median(xs []float64) (med, lo, hi float64) {
	if len(xs) == 0 {
		return 0, 0, 0
	}
	slices.Sort(xs)
	med = xs[len(xs)/2]
	if len(xs)%2 == 0 {
		med = (xs[len(xs)/2-1] + xs[len(xs)/2]) / 2
	}
	return med, xs[0], xs[len(xs)-1]
}

// WindowRatios pairs the two kinds' idle windows, which ran at the same
// time, round by round and window by window, and returns sturdy's CPU
// over the hand-written loop's for each pair. Both kinds saw the same
// machine in each pair, so the ratios are far steadier than either
// kind's figures from window to window.
func (r *Result) WindowRatios() []float64 {
	var out []float64
	for _, s := range r.Kinds {
		if s.Kind != KindSturdy {
			continue
		}
		for _, h := range r.Kinds {
			if h.Kind != KindHand || h.Round != s.Round {
				continue
			}
			for i := range min(len(s.Idle.Windows), len(h.Idle.Windows)) {
				if h.Idle.Windows[i] > 0 {
					out = append(out, float64(s.Idle.Windows[i])/float64(h.Idle.Windows[i]))
				}
			}
		}
	}
	return out
}

// The figures of a KindResult the tables show.
var (
	heapPer     = func(k KindResult) float64 { return k.Idle.HeapPer }
	goroutines  = func(k KindResult) float64 { return k.Idle.GoroutinesPer }
	burstGor    = func(k KindResult) float64 { return k.Up.GoroutinesPer }
	cpuPerSec   = func(k KindResult) float64 { return float64(k.Idle.CPUPerSec()) }
	allBack     = func(k KindResult) float64 { return float64(k.Storm.AllBack) }
	peakPerMean = func(k KindResult) float64 { return k.Storm.PeakOverMean() }
)

// sendNote says what each connection sent before the idle figures.
func (r *Result) sendNote() string {
	if r.Send == 0 {
		return " No connection sent a message: the idle figures are those of connections that never did."
	}
	return fmt.Sprintf(" Each connection sent %d message(s) of %d B once up: the idle figures are what that traffic left behind.", r.Send, sendSize)
}

// WriteMarkdown writes the side-by-side table and the goals: medians
// over the rounds, with the lowest and highest when there are several.
func (r *Result) WriteMarkdown(w io.Writer) {
	m := r.Machine
	fmt.Fprintf(w, "## Scale: %d idle connections and a server restart, %s\n\n", r.N, r.Started.UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(w, "%s, %d cores, %s, kernel %s, %s. Load average %s at the start, %s at the end. `%s`. "+
		"Heartbeat every %v on both sides; the server down %v. %d round(s); each kind has processes of its own, both idle in the same window (whole heartbeat intervals), their restarts run in turn; "+
		"cells are medians over the rounds, with (lowest–highest).%s\n\n",
		m.CPU, m.Cores, m.OS, m.Kernel, m.Go, m.LoadStart, m.LoadEnd, r.Command, r.Heartbeat, r.Down, r.Rounds, r.sendNote())
	cols := Kinds()
	fmt.Fprintf(w, "| per connection, %d of them | %s | %s |\n| --- | --- | --- |\n", r.N, cols[0], cols[1])
	n := float64(r.N)
	row := func(name string, f func(KindResult) float64, format func(float64) string) {
		fmt.Fprintf(w, "| %s |", name)
		for _, c := range cols {
			med, lo, hi, k := r.stat(c, f)
			switch {
			case k == 0:
				fmt.Fprint(w, " – |")
			case k == 1:
				fmt.Fprintf(w, " %s |", format(med))
			default:
				fmt.Fprintf(w, " %s (%s–%s) |", format(med), format(lo), format(hi))
			}
		}
		fmt.Fprintln(w)
	}
	kib := func(b float64) string { return fmt.Sprintf("%.2f KiB", b/1024) }
	mib := func(b float64) string { return fmt.Sprintf("%.0f MiB", b/(1<<20)) }
	count := func(x float64) string { return fmt.Sprintf("%.3f", x) }
	dur := func(x float64) string { return time.Duration(x).Round(time.Millisecond).String() }
	msps := func(x float64) string { return fmt.Sprintf("%.2f ms/s", x/1e6) }
	row("live heap (after GC, at the end of the idle window)", heapPer, kib)
	row("goroutine stacks", func(k KindResult) float64 { return k.Idle.StackPer }, kib)
	row("goroutines, idle", goroutines, count)
	row("goroutines, the moment the last of the burst connected", burstGor, count)
	row("RSS: VmRSS growth over the process before the fleet", func(k KindResult) float64 { return k.Idle.RSSPer }, kib)
	row("RSS of the whole client process (VmRSS)", func(k KindResult) float64 { return float64(k.Idle.RSS) }, mib)
	row("CPU while idle (getrusage user+sys), whole fleet", cpuPerSec, msps)
	row("CPU while idle, per connection", func(k KindResult) float64 { return cpuPerSec(k) / 1e3 / n },
		func(x float64) string { return fmt.Sprintf("%.3f µs/s", x) })
	row("allocated while idle, per connection per heartbeat interval", func(k KindResult) float64 {
		return float64(k.Idle.Allocated) / n * float64(r.Heartbeat) / float64(k.Idle.Window)
	}, func(x float64) string { return fmt.Sprintf("%.0f B", x) })
	row("GC cycles in the idle window", func(k KindResult) float64 { return float64(k.Idle.GCs) },
		func(x float64) string { return fmt.Sprintf("%.0f", x) })
	row("burst connect: all up after", func(k KindResult) float64 { return float64(k.Up.Connect) }, dur)
	row("restart: all back after (from the kill)", allBack, dur)
	row("restart: first redial after the kill, median", func(k KindResult) float64 { return float64(k.Storm.FirstDial[1]) }, dur)
	row("restart: first redial after the kill, latest", func(k KindResult) float64 { return float64(k.Storm.FirstDial[2]) }, dur)
	row("restart: dials per connection, mean", func(k KindResult) float64 { return k.Storm.AttemptsPer(r.N) },
		func(x float64) string { return fmt.Sprintf("%.2f", x) })
	row("restart: most dials by one connection", func(k KindResult) float64 { return float64(k.Storm.Attempts.Max) },
		func(x float64) string { return fmt.Sprintf("%.0f", x) })
	row("restart: handshakes, peak 100 ms over the mean", peakPerMean, func(x float64) string { return fmt.Sprintf("%.2f", x) })
	row("restart: handshakes, peak 100 ms", func(k KindResult) float64 { return float64(k.Storm.Peak()) },
		func(x float64) string { return fmt.Sprintf("%.0f", x) })
	row("restart: handshakes until all back (more than N: some came back twice)", func(k KindResult) float64 { return float64(k.Storm.Handshakes) },
		func(x float64) string { return fmt.Sprintf("%.0f", x) })
	fmt.Fprintln(w)
	r.writeGoals(w)
	fmt.Fprintf(w, "\nHandshakes per 100 ms from the restart to the last return:\n\n")
	for _, k := range r.Kinds {
		fmt.Fprintf(w, "- %s, round %d: %v\n", k.Kind, k.Round, k.Storm.Buckets)
	}
}

// writeGoals writes issue 21's goals for the idle fleet and the restart,
// met or not on this run's medians.
func (r *Result) writeGoals(w io.Writer) {
	med := func(k string, f func(KindResult) float64) (float64, bool) {
		m, _, _, n := r.stat(k, f)
		return m, n > 0
	}
	if _, ok := med(KindSturdy, heapPer); !ok {
		return
	}
	fmt.Fprintf(w, "| goal (issue 21), on the medians | this run | met |\n| --- | --- | --- |\n")
	goal := func(name, value string, met, absent bool) {
		v := "no"
		switch {
		case absent:
			v = "n/a"
		case met:
			v = "yes"
		}
		fmt.Fprintf(w, "| %s | %s | %s |\n", name, value, v)
	}
	heap, _ := med(KindSturdy, heapPer)
	goal("heap ≤ 8 KiB per idle Client", fmt.Sprintf("%.2f KiB", heap/1024), heap <= 8<<10, false)
	g, _ := med(KindSturdy, goroutines)
	goal("≤ 2 goroutines per idle Client", fmt.Sprintf("%.3f", g), g <= 2, false)
	_, _, gb, _ := r.stat(KindSturdy, burstGor)
	goal("≤ 2 goroutines per Client right after a burst connect (highest round)", fmt.Sprintf("%.3f", gb), gb <= 2, false)
	against := func(name string, f func(KindResult) float64, format func(float64) string) {
		s, _ := med(KindSturdy, f)
		h, okH := med(KindHand, f)
		v := "–"
		if okH && h > 0 {
			v = fmt.Sprintf("%.2f× (%s against %s)", s/h, format(s), format(h))
		}
		goal(name, v, okH && s <= h, !okH)
	}
	if ratios := r.WindowRatios(); len(ratios) > 0 {
		s, _ := med(KindSturdy, cpuPerSec)
		h, _ := med(KindHand, cpuPerSec)
		m, lo, hi := median(ratios)
		goal("idle CPU ≤ the hand-written loop's (windows side by side: the median of their ratios)",
			fmt.Sprintf("%.2f× (%.2f–%.2f over %d windows; medians %.2f against %.2f ms/s)", m, lo, hi, len(ratios), s/1e6, h/1e6), m <= 1, false)
	} else {
		against("idle CPU ≤ the hand-written loop's", cpuPerSec, func(x float64) string { return fmt.Sprintf("%.2f ms/s", x/1e6) })
	}
	against("restart: all back no later than the hand-written loop", allBack, func(x float64) string { return time.Duration(x).Round(time.Millisecond).String() })
	s, _ := med(KindSturdy, func(k KindResult) float64 { return k.Storm.AttemptsPer(r.N) })
	h, okH := med(KindHand, func(k KindResult) float64 { return k.Storm.AttemptsPer(r.N) })
	goal("restart: fewer attempts than the hand-written loop", fmt.Sprintf("%.2f against %.2f per Client", s, h), okH && s < h, !okH)
	p, _ := med(KindSturdy, peakPerMean)
	goal("restart: peak 100 ms of handshakes ≤ 2× the mean", fmt.Sprintf("%.2f×", p), p <= 2, false)
}
