package durable

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestValidateCatchesABrokenHarness: results that no store could explain
// (a cell with no pairs, an untimed reopening, a damaged control, a
// matrix without controls) fail Validate; sound ones pass.
func TestValidateCatchesABrokenHarness(t *testing.T) {
	good := Results{
		Rates:   []Rate{{Pairs: 3, Seconds: 1}},
		Reopens: []Reopen{{Open: 1}},
		Trials:  []Trial{{Op: OpNone}, {Op: OpDelete, Result: Outcome{Lost: 3}}},
	}
	require.NoError(t, good.Validate())
	for name, bad := range map[string]Results{
		"no pairs":       {Rates: []Rate{{Seconds: 1}}},
		"untimed":        {Reopens: []Reopen{{}}},
		"harmed control": {Trials: []Trial{{Op: OpNone, Result: Outcome{Lost: 1}}}},
		"noisy control":  {Trials: []Trial{{Op: OpNone, Result: Outcome{Reported: true}}}},
		"no control":     {Trials: []Trial{{Op: OpFlip}}},
	} {
		assert.Error(t, bad.Validate(), name)
	}
}
