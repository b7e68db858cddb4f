package durable

import (
	"math/bits"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDamageDoesWhatItSays checks each kind of damage on a file of
// known bytes, over many seeds: the matrix means nothing if a "flip"
// flipped nothing or a "zero" hit an empty block.
func TestDamageDoesWhatItSays(t *testing.T) {
	orig := make([]byte, 3*zeroBlock+100)
	for i := range orig {
		orig[i] = byte(i%251) + 1 // no zero byte anywhere
	}
	path := filepath.Join(t.TempDir(), "f")
	for seed := range uint64(50) {
		for _, op := range Ops {
			require.NoError(t, os.WriteFile(path, orig, 0o600))
			what, err := Damage(path, op, rand.New(rand.NewPCG(seed, 0)))
			require.NoError(t, err, "%v seed %d", op, seed)
			assert.NotEmpty(t, what)
			got, err := os.ReadFile(path)
			switch op {
			case OpNone:
				require.NoError(t, err)
				assert.Equal(t, orig, got)
			case OpDelete:
				require.ErrorIs(t, err, os.ErrNotExist)
			case OpTruncate:
				require.NoError(t, err)
				assert.Less(t, len(got), len(orig))
				assert.Equal(t, orig[:len(got)], got)
			case OpFlip:
				require.NoError(t, err)
				require.Len(t, got, len(orig))
				diff := 0
				for i := range got {
					diff += bits.OnesCount8(got[i] ^ orig[i])
				}
				// Two flips of one bit cancel, so only the bound holds.
				assert.LessOrEqual(t, diff, 8)
				assert.Equal(t, diff%2 == 1, flipsOdd(seed), "seed %d", seed)
			case OpZero:
				require.NoError(t, err)
				require.Len(t, got, len(orig))
				changed := 0
				for i := range got {
					if got[i] != orig[i] {
						require.Zero(t, got[i])
						require.Equal(t, changed/zeroBlock, 0, "one block only")
						if changed == 0 {
							require.Zero(t, i%zeroBlock, "aligned")
						}
						changed++
					}
				}
				assert.True(t, changed == zeroBlock || changed == 100, "zeroed %d bytes", changed)
			}
		}
	}
	require.NoError(t, os.WriteFile(path, nil, 0o600))
	_, err := Damage(path, OpFlip, rand.New(rand.NewPCG(1, 0)))
	require.ErrorIs(t, err, errEmpty, "an empty file cannot be flipped")
	require.NoError(t, os.WriteFile(path, make([]byte, 2*zeroBlock), 0o600))
	_, err = Damage(path, OpZero, rand.New(rand.NewPCG(1, 0)))
	require.ErrorIs(t, err, errEmpty, "a file of zeros cannot be zeroed")
}

// flipsOdd replays OpFlip's first draw for a seed, how many flips it
// makes: flips of one bit may cancel in pairs, but the number of bits
// changed always has the parity of the number of flips.
func flipsOdd(seed uint64) bool {
	rng := rand.New(rand.NewPCG(seed, 0))
	return (1+rng.IntN(8))%2 == 1
}

// TestPayloadsCheckThemselves: both kinds of payload carry their index
// and fail their check when any byte changes.
func TestPayloadsCheckThemselves(t *testing.T) {
	for _, mk := range []func([]byte, uint64) []byte{MakePayload, MakePatternPayload} {
		p := mk(make([]byte, 64), 77)
		idx, ok := CheckPayload(p)
		require.True(t, ok)
		assert.Equal(t, uint64(77), idx)
		for i := range p {
			p[i] ^= 0x10
			_, ok := CheckPayload(p)
			assert.False(t, ok, "byte %d changed", i)
			p[i] ^= 0x10
		}
	}
	_, ok := CheckPayload(make([]byte, MinPayload-1))
	assert.False(t, ok)
}
