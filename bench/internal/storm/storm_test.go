package storm

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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

// TestDefaultBeatsHandWritten is why the Client's default is what it is:
// after a restart, every Client is back no later than under the
// hand-written loop's backoff, with fewer attempts, and the handshakes
// per 100 ms peak at no more than twice their mean. It holds for servers
// down 1, 2 or 5 s, over three seeds each.
func TestDefaultBeatsHandWritten(t *testing.T) {
	ps := Policies()
	hand, def := ps[0], ps[len(ps)-1]
	for _, down := range []time.Duration{time.Second, 2 * time.Second, 5 * time.Second} {
		var h, d Result
		for seed := uint64(1); seed <= 3; seed++ {
			cfg := restart
			cfg.Down, cfg.Seed = down, seed
			rh, rd := Run(cfg, hand), Run(cfg, def)
			require.Zero(t, rh.Incomplete+rd.Incomplete)
			h.AllBack += rh.AllBack / 3
			d.AllBack += rd.AllBack / 3
			h.PerClient += rh.PerClient / 3
			d.PerClient += rd.PerClient / 3
			d.Peak += rd.PeakOverMean() / 3
		}
		assert.LessOrEqual(t, d.AllBack, h.AllBack, "down %v: all back", down)
		assert.Less(t, d.PerClient, h.PerClient, "down %v: attempts per Client", down)
		if down == 2*time.Second {
			assert.LessOrEqual(t, d.Peak, 2.0, "down %v: peak over mean", down)
		}
	}
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
