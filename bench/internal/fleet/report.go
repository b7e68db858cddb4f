package fleet

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/sturdyws/sturdy/bench/internal/report"
)

// Result is one run of the scale scenario: both kinds, one after the
// other, each with its own server and client processes.
type Result struct {
	Machine   report.Machine `json:"machine"`
	Started   time.Time      `json:"started"`
	N         int            `json:"n"`
	Heartbeat time.Duration  `json:"heartbeat_ns"` // the ping interval both kinds used
	Down      time.Duration  `json:"down_ns"`
	Command   string         `json:"command"`
	Kinds     []KindResult   `json:"kinds"`
}

// KindResult is what one kind's fleet measured.
type KindResult struct {
	Kind  string `json:"kind"`
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
	Listen     time.Duration `json:"listen_ns"`
	Attempts   Attempts      `json:"attempts"`
	Handshakes int           `json:"handshakes"` // on the new server until all were back; more than N: some came back twice
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
	return Storm{AllBack: back.Sub(kill), Listen: listen.Sub(kill), Attempts: a, Handshakes: handshakes, Buckets: buckets[:last+1]}
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

// kind returns the result of kind k, and whether there is one.
func (r *Result) kind(k string) (KindResult, bool) {
	for _, x := range r.Kinds {
		if x.Kind == k {
			return x, true
		}
	}
	return KindResult{}, false
}

// WriteMarkdown writes the side-by-side table and the goals.
func (r *Result) WriteMarkdown(w io.Writer) {
	m := r.Machine
	fmt.Fprintf(w, "## Scale: %d idle connections and a server restart, %s\n\n", r.N, r.Started.UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(w, "%s, %d cores, %s, kernel %s, %s. Load average %s at the start, %s at the end. `%s`. "+
		"Heartbeat every %v on both sides; the server down %v.\n\n", m.CPU, m.Cores, m.OS, m.Kernel, m.Go, m.LoadStart, m.LoadEnd, r.Command, r.Heartbeat, r.Down)
	cols := Kinds()
	fmt.Fprintf(w, "| per connection, %d of them | %s | %s |\n| --- | --- | --- |\n", r.N, cols[0], cols[1])
	row := func(name string, cell func(KindResult) string) {
		fmt.Fprintf(w, "| %s |", name)
		for _, c := range cols {
			k, ok := r.kind(c)
			v := "–"
			if ok {
				v = cell(k)
			}
			fmt.Fprintf(w, " %s |", v)
		}
		fmt.Fprintln(w)
	}
	kib := func(b float64) string { return fmt.Sprintf("%.2f KiB", b/1024) }
	row("live heap (after GC, end of the idle window)", func(k KindResult) string { return kib(k.Idle.HeapPer) })
	row("goroutine stacks", func(k KindResult) string { return kib(k.Idle.StackPer) })
	row("goroutines, idle", func(k KindResult) string { return fmt.Sprintf("%.3f", k.Idle.GoroutinesPer) })
	row("goroutines, the moment the last of the burst connected", func(k KindResult) string { return fmt.Sprintf("%.3f", k.Up.GoroutinesPer) })
	row("RSS (VmRSS growth over the process before the fleet)", func(k KindResult) string {
		if k.Idle.RSSPer < 0 {
			return "n/a"
		}
		return fmt.Sprintf("%s (%.0f MiB in all)", kib(k.Idle.RSSPer), float64(k.Idle.RSS)/(1<<20))
	})
	row("CPU while idle (getrusage user+sys), whole fleet", func(k KindResult) string {
		return fmt.Sprintf("%.2f ms/s", float64(k.Idle.CPUPerSec())/1e6)
	})
	row("CPU while idle, per connection", func(k KindResult) string {
		return fmt.Sprintf("%.3f µs/s", float64(k.Idle.CPUPerSec())/1e3/float64(r.N))
	})
	row("burst connect: all up after", func(k KindResult) string { return k.Up.Connect.Round(time.Millisecond).String() })
	row("restart: all back after (from the kill)", func(k KindResult) string { return k.Storm.AllBack.Round(time.Millisecond).String() })
	row("restart: dials per connection, mean (min–max)", func(k KindResult) string {
		return fmt.Sprintf("%.2f (%d–%d)", k.Storm.AttemptsPer(r.N), k.Storm.Attempts.Min, k.Storm.Attempts.Max)
	})
	row("restart: handshakes, peak 100 ms over the mean", func(k KindResult) string {
		return fmt.Sprintf("%.2f (peak %d)", k.Storm.PeakOverMean(), k.Storm.Peak())
	})
	row("restart: handshakes until all back", func(k KindResult) string { return fmt.Sprintf("%d", k.Storm.Handshakes) })
	fmt.Fprintln(w)
	r.writeGoals(w)
	fmt.Fprintf(w, "\nHandshakes per 100 ms from the restart to the last return:\n\n")
	for _, c := range cols {
		if k, ok := r.kind(c); ok {
			fmt.Fprintf(w, "- %s: %v\n", c, k.Storm.Buckets)
		}
	}
}

// writeGoals writes issue 21's goals for the idle fleet and the restart,
// met or not on this run.
func (r *Result) writeGoals(w io.Writer) {
	s, okS := r.kind(KindSturdy)
	h, okH := r.kind(KindHand)
	if !okS {
		return
	}
	fmt.Fprintf(w, "| goal (issue 21) | this run | met |\n| --- | --- | --- |\n")
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
	goal("heap ≤ 8 KiB per idle Client", fmt.Sprintf("%.2f KiB", s.Idle.HeapPer/1024), s.Idle.HeapPer <= 8<<10, false)
	goal("≤ 2 goroutines per idle Client", fmt.Sprintf("%.3f", s.Idle.GoroutinesPer), s.Idle.GoroutinesPer <= 2, false)
	goal("≤ 2 goroutines per Client right after a burst connect", fmt.Sprintf("%.3f", s.Up.GoroutinesPer), s.Up.GoroutinesPer <= 2, false)
	sc, hc := s.Idle.CPUPerSec(), h.Idle.CPUPerSec()
	goal("idle CPU ≤ the hand-written loop's", fmt.Sprintf("%.2f× (%.2f against %.2f ms/s)", ratio(sc, hc), float64(sc)/1e6, float64(hc)/1e6), okH && sc <= hc, !okH)
	goal("restart: all back no later than the hand-written loop", fmt.Sprintf("%v against %v", s.Storm.AllBack.Round(time.Millisecond), h.Storm.AllBack.Round(time.Millisecond)),
		okH && s.Storm.AllBack <= h.Storm.AllBack, !okH)
	goal("restart: fewer attempts than the hand-written loop", fmt.Sprintf("%.2f against %.2f per Client", s.Storm.AttemptsPer(r.N), h.Storm.AttemptsPer(r.N)),
		okH && s.Storm.Attempts.Total < h.Storm.Attempts.Total, !okH)
	goal("restart: peak 100 ms of handshakes ≤ 2× the mean", fmt.Sprintf("%.2f×", s.Storm.PeakOverMean()), s.Storm.PeakOverMean() <= 2, false)
}

func ratio(a, b time.Duration) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
