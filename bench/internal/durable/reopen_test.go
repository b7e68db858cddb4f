package durable

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCrashReopenKillsMidPush kills a real child process while it pushes
// and reopens the store in another. Under Always every store keeps every
// push the child saw return; under Never, queue.File promises the same
// (SyncNever writes to the kernel before Push returns), while pebble's
// NoSync leaves a commit in its own buffer, which the kill loses.
func TestCrashReopenKillsMidPush(t *testing.T) {
	for _, s := range Stores() {
		if s.Name == "bbolt-batch" {
			continue // 10 ms per push alone: the same file format as bbolt
		}
		for _, p := range []Policy{Always, Never} {
			t.Run(s.Name+"/"+p.String(), func(t *testing.T) {
				r, err := CrashReopen(s, t.TempDir(), p, 256, 30)
				require.NoError(t, err)
				assert.GreaterOrEqual(t, r.Pushed, 30)
				assert.Empty(t, r.Err)
				assert.Zero(t, r.Bad)
				assert.Positive(t, r.Open)
				t.Logf("pushed %d, found %d", r.Pushed, r.Entries)
				if p == Always || s.Name == "sturdy" {
					assert.Zero(t, r.Lost(), "pushed %d, found %d", r.Pushed, r.Entries)
				}
			})
		}
	}
}

// TestTornReopenTears checks the tear itself on every store: the tail
// file is cut, the reopened store is timed, and the numbers add up.
func TestTornReopenTears(t *testing.T) {
	for _, s := range Stores() {
		if s.Name == "bbolt-batch" {
			continue
		}
		for _, flip := range []bool{false, true} {
			t.Run(s.Name, func(t *testing.T) {
				r, err := TornReopen(s, t.TempDir(), Tear{Payload: 64 << 10, Count: 4, Pattern: flip, Cut: 16 << 10, Flip: flip})
				require.NoError(t, err)
				assert.Equal(t, 4, r.Pushed)
				assert.Positive(t, r.Open+1)
				assert.LessOrEqual(t, r.Entries, 4)
				t.Logf("%s: %d of %d back, %d bad, damage %q, err %q, %v", r.Scenario, r.Entries, r.Pushed, r.Bad, r.Damage, r.Err, r.Open)
			})
		}
	}
}
