package payload

import (
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestStampAndCheck(t *testing.T) {
	p := New(64)
	for _, seq := range []uint64{0, 1, 31, 32, 1 << 20, 1<<40 - 1} {
		Stamp(p, seq)
		assert.Equal(t, seq, Seq(p))
		require.NoError(t, Check(p, 64, seq))
		assert.True(t, utf8.Valid(p), "payloads must be valid text")
	}
}

func TestCheckFindsEveryKindOfDamage(t *testing.T) {
	p := New(128)
	Stamp(p, 7)
	assert.Error(t, Check(p[:127], 128, 7), "short")
	assert.Error(t, Check(p, 128, 8), "wrong sequence number")
	p[100] ^= 1
	assert.Error(t, Check(p, 128, 7), "corrupted byte")
}
