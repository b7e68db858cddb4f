package payload

import (
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestJSON(t *testing.T) {
	a, b := JSON(1024, 7), JSON(1024, 8)
	require.Len(t, a, 1024)
	assert.True(t, utf8.Valid(a))
	assert.NotEqual(t, a, b)
	assert.Equal(t, uint64(7), Seq(a[8:]))
	require.NoError(t, CheckJSON(a, 1024, 7))
	assert.Error(t, CheckJSON(a, 1024, 8))
	assert.Error(t, CheckJSON(a[:1000], 1024, 7))
}
