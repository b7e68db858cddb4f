package transport

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReleaseIdleMidMessage: a message streamed through Writer can pause
// for longer than two ReleaseIdle periods with nothing buffered (flushed);
// the write buffer and key generator go in the pause, the rest of the
// message makes them again (with fresh masking keys), and the peer reads
// the message whole, plain or compressed.
func TestReleaseIdleMidMessage(t *testing.T) {
	for _, tc := range []struct {
		name    string
		deflate func() *deflateConfig
	}{
		{"plain", func() *deflateConfig { return nil }},
		{"deflate", func() *deflateConfig {
			return newDeflateConfig(DeflateParams{ClientMaxWindowBits: full, ServerMaxWindowBits: full}, &CompressionOptions{})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cc, sc := connPair(t, connConfig{deflate: tc.deflate()}, connConfig{deflate: tc.deflate()})
			ctx := untilTestDeadline(t)
			got := make(chan []byte, 1)
			go func() {
				_, p, err := sc.Read(ctx)
				if err != nil {
					p = nil
				}
				got <- p
			}()
			first, second := concurrentPayload(1, 1), concurrentPayload(2, 5)
			first = append(first, bytes.Repeat([]byte("first half "), 500)...) // over the 4 KiB buffer
			w, err := cc.Writer(ctx, MessageBinary)
			require.NoError(t, err)
			_, err = w.Write(first)
			require.NoError(t, err)
			require.NoError(t, cc.Flush(ctx))
			cc.ReleaseIdle() // notes what the first half used
			assert.True(t, cc.ReleaseIdle(), "nothing buffered through a whole period, mid-message")
			assert.Nil(t, cc.wr.buf)
			assert.Nil(t, cc.wr.keys.rng)
			_, err = w.Write(second)
			require.NoError(t, err)
			require.NoError(t, w.Close())
			assert.Equal(t, string(append(first, second...)), string(<-got), "the message arrives whole")
		})
	}
}

// TestReleaseIdleQuietSpellCost: a connection that goes quiet after
// every message makes its write buffer and key generator again for each
// one, two allocations, never more as spells repeat; none while a data
// frame goes out between every two calls.
func TestReleaseIdleQuietSpellCost(t *testing.T) {
	cc, sc := connPair(t, connConfig{}, connConfig{})
	ctx := context.Background()
	go func() { // the server reads what is sent until the connection goes
		for {
			if _, _, err := sc.Read(ctx); err != nil {
				return
			}
		}
	}()
	msg := []byte("a message now and then")
	spell := func() {
		if err := cc.Write(ctx, MessageBinary, msg); err != nil {
			t.Fatal(err)
		}
		if cc.ReleaseIdle() || !cc.ReleaseIdle() {
			t.Fatal("quiet through a whole period, and not released")
		}
	}
	spell()
	assert.LessOrEqual(t, testing.AllocsPerRun(100, spell), 2.0+raceAllocs)
	busy := func() {
		if err := cc.Write(ctx, MessageBinary, msg); err != nil {
			t.Fatal(err)
		}
		if cc.ReleaseIdle() {
			t.Fatal("released with a frame written since the last call")
		}
	}
	busy()
	assert.Zero(t, testing.AllocsPerRun(100, busy))
}
