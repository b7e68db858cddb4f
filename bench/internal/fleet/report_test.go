package fleet

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// kindResult is a made-up round of kind k.
func kindResult(k string, round int, heap float64, cpu time.Duration, back time.Duration, dials int64, buckets []int) KindResult {
	return KindResult{
		Kind: k, Round: round,
		Up:   Up{Connect: time.Second, GoroutinesPer: 2},
		Idle: Idle{Window: time.Second, CPU: cpu, HeapPer: heap, GoroutinesPer: 2, RSSPer: 1 << 14, RSS: 1 << 28, Allocated: uint64(heap) * 10, GCs: 3},
		Storm: Storm{AllBack: back, Listen: 2 * time.Second, Handshakes: 10,
			Attempts: Attempts{Total: dials, Min: 1, Max: 5}, Buckets: buckets},
	}
}

// TestMarkdownMedians checks that the tables give medians over rounds
// with the range, and that a goal sturdy misses says so.
func TestMarkdownMedians(t *testing.T) {
	r := &Result{N: 10, Rounds: 3, Down: 2 * time.Second, Heartbeat: time.Second, Command: "go run . -fleet 10", Kinds: []KindResult{
		kindResult(KindSturdy, 1, 9000, 30*time.Millisecond, 4*time.Second, 25, []int{5, 5}),
		kindResult(KindHand, 1, 12000, 20*time.Millisecond, 5*time.Second, 40, []int{9, 1}),
		kindResult(KindHand, 2, 12100, 22*time.Millisecond, 5*time.Second, 40, []int{9, 1}),
		kindResult(KindSturdy, 2, 9100, 10*time.Millisecond, 4*time.Second, 25, []int{5, 5}),
		kindResult(KindSturdy, 3, 9200, 40*time.Millisecond, 4*time.Second, 25, []int{5, 5}),
		kindResult(KindHand, 3, 12200, 24*time.Millisecond, 5*time.Second, 40, []int{9, 1}),
	}}
	assert.NoError(t, r.Validate())
	var b strings.Builder
	r.WriteMarkdown(&b)
	md := b.String()
	assert.Contains(t, md, "| live heap (after GC, at the end of the idle window) | 8.89 KiB (8.79 KiB–8.98 KiB) | 11.82 KiB (11.72 KiB–11.91 KiB) |")
	assert.Contains(t, md, "| CPU while idle (getrusage user+sys), whole fleet | 30.00 ms/s (10.00 ms/s–40.00 ms/s) | 22.00 ms/s (20.00 ms/s–24.00 ms/s) |")
	assert.Contains(t, md, "| heap ≤ 8 KiB per idle Client | 8.89 KiB | no |")
	assert.Contains(t, md, "| idle CPU ≤ the hand-written loop's | 1.36× (30.00 ms/s against 22.00 ms/s) | no |")
	assert.Contains(t, md, "| restart: all back no later than the hand-written loop | 0.80× (4s against 5s) | yes |")
	assert.Contains(t, md, "| restart: fewer attempts than the hand-written loop | 2.50 against 4.00 per Client | yes |")
	assert.Contains(t, md, "| restart: peak 100 ms of handshakes ≤ 2× the mean | 1.00× | yes |")
	assert.Contains(t, md, "- hand-written, round 3: [9 1]")
	assert.Contains(t, md, "| allocated while idle, per connection per heartbeat interval | 9100 B (9000 B–9200 B) |", "a second's allocation, the interval being a second")
}

// TestValidate refuses results that cannot be right.
func TestValidate(t *testing.T) {
	assert.Error(t, (&Result{N: 10}).Validate(), "nothing measured")
	k := kindResult(KindSturdy, 1, 9000, time.Millisecond, time.Second, 25, []int{10})
	assert.Error(t, (&Result{N: 10, Down: 2 * time.Second, Kinds: []KindResult{k}}).Validate(), "back before the server listened")
	k = kindResult(KindSturdy, 1, 9000, time.Millisecond, 3*time.Second, 25, []int{10})
	k.Storm.Attempts.Min = 0
	assert.Error(t, (&Result{N: 10, Down: 2 * time.Second, Kinds: []KindResult{k}}).Validate(), "a member back without a dial")
	k.Storm.Attempts.Min = 1
	assert.Error(t, (&Result{N: 11, Down: 2 * time.Second, Kinds: []KindResult{k}}).Validate(), "fewer handshakes than members")
	assert.NoError(t, (&Result{N: 10, Down: 2 * time.Second, Kinds: []KindResult{k}}).Validate())
}

// TestWindowRatios checks that the idle goal pairs the kinds' windows by
// round and position, so a window where the whole machine was slow
// bills both kinds: here sturdy's medians are above the hand-written
// loop's, yet it is below in every pair but one.
func TestWindowRatios(t *testing.T) {
	ms := func(xs ...int) []time.Duration {
		var out []time.Duration
		for _, x := range xs {
			out = append(out, time.Duration(x)*time.Millisecond)
		}
		return out
	}
	r := &Result{N: 10, Rounds: 2, Down: 2 * time.Second, Heartbeat: time.Second, Kinds: []KindResult{
		kindResult(KindSturdy, 1, 8000, 0, 4*time.Second, 25, []int{5, 5}),
		kindResult(KindHand, 1, 12000, 0, 5*time.Second, 40, []int{9, 1}),
		kindResult(KindHand, 2, 12000, 0, 5*time.Second, 40, []int{9, 1}),
		kindResult(KindSturdy, 2, 8000, 0, 4*time.Second, 25, []int{5, 5}),
	}}
	set := func(i int, ws []time.Duration) {
		r.Kinds[i].Idle.Windows = ws
		r.Kinds[i].Idle.Window = time.Duration(len(ws)) * time.Second
		r.Kinds[i].Idle.CPU = 0
		for _, w := range ws {
			r.Kinds[i].Idle.CPU += w
		}
	}
	set(0, ms(9, 18, 30))  // sturdy, round 1
	set(1, ms(10, 20, 20)) // hand, round 1
	set(2, ms(4, 8))       // hand, round 2: a quieter machine
	set(3, ms(2, 6, 99))   // sturdy, round 2: its third window has no pair
	got := r.WindowRatios()
	assert.InDeltaSlice(t, []float64{0.9, 0.9, 1.5, 0.5, 0.75}, got, 1e-9)
	var b strings.Builder
	r.WriteMarkdown(&b)
	assert.Contains(t, b.String(), "| idle CPU ≤ the hand-written loop's (windows side by side: the median of their ratios) | 0.90× (0.50–1.50 over 5 windows; medians 27.33 against 11.33 ms/s) | yes |")
}

// TestMeasureArgs checks the measure command's arguments.
func TestMeasureArgs(t *testing.T) {
	w, k, err := measureArgs("1500")
	assert.NoError(t, err)
	assert.Equal(t, 1500*time.Millisecond, w)
	assert.Equal(t, 1, k)
	w, k, err = measureArgs("200 4")
	assert.NoError(t, err)
	assert.Equal(t, 200*time.Millisecond, w)
	assert.Equal(t, 4, k)
	for _, bad := range []string{"", "x", "100 y", "0", "100 0", "-5 2", "1 2 3"} {
		_, _, err := measureArgs(bad)
		assert.Error(t, err, "%q", bad)
	}
}
