package client

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDefaultBackoffIsPhaseJitter: a Client given no Backoff uses
// PhaseJitter over a Backoff's default intervals, as Options documents.
func TestDefaultBackoffIsPhaseJitter(t *testing.T) {
	o, err := Options{URL: "ws://127.0.0.1:1/"}.withDefaults()
	require.NoError(t, err)
	assert.Equal(t, &Backoff{Jitter: PhaseJitter}, o.Backoff)
}
