package storm

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sturdyws/sturdy/bench/internal/fleet"
)

// restart is the scale scenario's storm: 5,000 Clients, servers down 2 s.
var restart = Config{Clients: 5000, Down: 2 * time.Second, Seed: 1}

// TestRunRepeats: the same seed gives the same storm.
func TestRunRepeats(t *testing.T) {
	p := Policies()[0]
	assert.Equal(t, Run(restart, p), Run(restart, p))
	other := restart
	other.Seed = 2
	assert.NotEqual(t, Run(restart, p), Run(other, p))
}

// TestPeakOverMeanIsTheFleets: the simulator's peak over mean is the scale
// scenario's statistic: its windows, handed to fleet.Storm as the fleet
// server's buckets, give the same figure, and they run from the servers'
// return to the last Client's, every Client counted once.
func TestPeakOverMeanIsTheFleets(t *testing.T) {
	for _, p := range Policies() {
		r := Run(restart, p)
		require.NotEmpty(t, r.Windows, p.Name)
		assert.InDelta(t, fleet.Storm{Buckets: r.Windows}.PeakOverMean(), r.PeakOverMean(), 1e-9, p.Name)
		assert.Equal(t, int(r.AllBack-restart.Down)/int(window), len(r.Windows)-1, p.Name)
		sum := 0
		for _, c := range r.Windows {
			sum += c
		}
		assert.Equal(t, restart.Clients, sum, "%s: unlimited servers take every attempt", p.Name)
	}
}

// policy returns the policy of Policies whose name begins with prefix.
func policy(t *testing.T, prefix string) Policy {
	for _, p := range Policies() {
		if strings.HasPrefix(p.Name, prefix) {
			return p
		}
	}
	t.Fatalf("no policy %q", prefix)
	return Policy{}
}

// maxPeakOverMean is the flatness issue 21 asks of a restart (at most 2),
// with a margin for what the simulation leaves out.
const maxPeakOverMean = 1.5

// beatsHandWritten checks p against the hand-written loop's backoff after
// a restart of 5,000 Clients, servers down 1, 2 or 5 s, all Clients
// noticing at once or over 0.5 s, three seeds each: every Client back no
// later (mean over the seeds), with fewer attempts (mean), and the
// handshakes per 100 ms peaking at no more than maxPeakOverMean times
// their mean (every seed). It returns what p missed.
func beatsHandWritten(t *testing.T, p Policy) (missed []string) {
	hand := policy(t, "hand-written")
	for _, detect := range []time.Duration{0, 500 * time.Millisecond} {
		for _, down := range []time.Duration{time.Second, 2 * time.Second, 5 * time.Second} {
			var h, d Result
			peak := 0.0
			for seed := uint64(1); seed <= 3; seed++ {
				cfg := restart
				cfg.Down, cfg.Seed, cfg.Detect = down, seed, detect
				rh, rd := Run(cfg, hand), Run(cfg, p)
				require.Zero(t, rh.Incomplete+rd.Incomplete)
				h.AllBack += rh.AllBack / 3
				d.AllBack += rd.AllBack / 3
				h.PerClient += rh.PerClient / 3
				d.PerClient += rd.PerClient / 3
				peak = max(peak, rd.PeakOverMean())
			}
			at := fmt.Sprintf("down %v, noticed within %v", down, detect)
			if d.AllBack > h.AllBack {
				missed = append(missed, fmt.Sprintf("%s: all back after %v, hand-written %v", at, d.AllBack, h.AllBack))
			}
			if d.PerClient >= h.PerClient {
				missed = append(missed, fmt.Sprintf("%s: %.2f attempts per Client, hand-written %.2f", at, d.PerClient, h.PerClient))
			}
			if peak > maxPeakOverMean {
				missed = append(missed, fmt.Sprintf("%s: peak 100 ms %.2f× the mean", at, peak))
			}
		}
	}
	return missed
}

// TestDefaultBeatsHandWritten is why the Client's default is what it is
// (issue 21): see beatsHandWritten.
func TestDefaultBeatsHandWritten(t *testing.T) {
	assert.Empty(t, beatsHandWritten(t, policy(t, "sturdy default")))
}

// TestEqualJitterMissesThePeak: the check above can fail, and did for the
// default of 0.1.0 (equal jitter over the same intervals), which came back
// in time and with fewer attempts but in waves, up to 2.2× the mean.
func TestEqualJitterMissesThePeak(t *testing.T) {
	missed := beatsHandWritten(t, policy(t, "sturdy 0.1.0"))
	require.NotEmpty(t, missed)
	for _, m := range missed {
		assert.Contains(t, m, "peak 100 ms")
	}
}

// TestDetectSpreadsAndImmediateDials: Clients noticing over Detect make
// their first attempts over that time, a policy with Immediate makes its
// first at once, before the first wait, and Latency delays every wait's
// start.
func TestDetectSpreadsAndImmediateDials(t *testing.T) {
	p := policy(t, "hand-written")
	cfg := Config{Clients: 1000, Down: time.Hour, Horizon: 250 * time.Millisecond, Seed: 5}
	at := Run(cfg, p)
	assert.Equal(t, cfg.Clients, at.Attempts, "every Client dialed at once, and not again within 250 ms")
	cfg.Detect = 200 * time.Millisecond
	cfg.Horizon = 100 * time.Millisecond
	spread := Run(cfg, p)
	assert.InDelta(t, cfg.Clients/2, spread.Attempts, float64(cfg.Clients)/10, "half noticed in the first 100 ms")
	p.Immediate = false
	cfg.Detect, cfg.Horizon = 0, 250*time.Millisecond
	assert.Zero(t, Run(cfg, p).Attempts, "without Immediate, the first wait (at least 250 ms) comes first")
	p.Immediate = true
	cfg.Horizon = time.Second
	assert.Greater(t, Run(cfg, p).Attempts, cfg.Clients, "second attempts within 1 s (waits of 0.25–0.75 s)")
	cfg.Latency = time.Second
	assert.Equal(t, cfg.Clients, Run(cfg, p).Attempts, "no second attempt before the first has taken 1 s")
}

// TestCapacityRefusesAndRetries: servers that complete Rate handshakes a
// second take at least Clients/Rate to bring everyone back, and refuse
// (count as attempts) what comes beyond it.
func TestCapacityRefusesAndRetries(t *testing.T) {
	cfg := Config{Clients: 20000, Down: time.Second, Rate: 5000, Seed: 3}
	r := Run(cfg, Policies()[len(Policies())-1])
	require.Zero(t, r.Incomplete)
	assert.GreaterOrEqual(t, r.AllBack, cfg.Down+4*time.Second)
	assert.Greater(t, r.Attempts, cfg.Clients)
	assert.LessOrEqual(t, r.AcceptedPeak, 501, "at most Rate/10 per 100 ms, plus one saved up")
}

// TestDefaultPartsRefusedClients: servers that complete 5,000 handshakes a
// second take 20,000 Clients back within 4 s at best; the default brings
// them all back within twice that (8.7 s). Its ±5 % on every wait is what
// does it: with none, Clients refused in the same millisecond came back in
// the same millisecond at every attempt, and the last took 20.3 s.
func TestDefaultPartsRefusedClients(t *testing.T) {
	cfg := Config{Clients: 20000, Down: time.Second, Rate: 5000, Seed: 3}
	r := Run(cfg, policy(t, "sturdy default"))
	require.Zero(t, r.Incomplete)
	assert.LessOrEqual(t, r.AllBack, cfg.Down+2*4*time.Second)
}
