package wsraw

import (
	"bufio"
	"bytes"
	"net"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestOffersDeflate(t *testing.T) {
	assert.True(t, OffersDeflate("permessage-deflate"))
	assert.True(t, OffersDeflate("x-foo, permessage-deflate; client_max_window_bits"))
	assert.False(t, OffersDeflate("permessage-deflatex; a"))
	assert.False(t, OffersDeflate(""))
}

// TestCompressRoundTrip sends compressed frames through a pipe and reads
// them back: RSV1 carried, payload restored, each message independent.
func TestCompressRoundTrip(t *testing.T) {
	for _, keep := range []bool{false, true} {
		t.Run(map[bool]string{false: "fresh", true: "context"}[keep], func(t *testing.T) { compressRoundTrip(t, keep) })
	}
}

func compressRoundTrip(t *testing.T, keep bool) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	srv := NewConn(a, bufio.NewReader(a), 4096, false)
	cli := NewConn(b, bufio.NewReader(b), 4096, true)
	if keep {
		srv.KeepContext()
		cli.KeepContext()
	}
	first := []byte(`{"a":1,"b":"xxxxxxxxxxxxxxxxxxxxxxxx"}`)
	msgs := [][]byte{first, bytes.Repeat([]byte("abc"), 5000), nil, first}
	done := make(chan error, 1)
	sizes := make([]int, len(msgs))
	go func() {
		for i, m := range msgs {
			wire := srv.Compress(m)
			sizes[i] = len(wire)
			if err := srv.WriteCompressed(OpText, wire); err != nil {
				done <- err
				return
			}
		}
		done <- srv.Flush()
	}()
	for _, m := range msgs {
		op, p, err := cli.ReadMessage()
		require.NoError(t, err)
		assert.Equal(t, byte(OpText), op)
		require.True(t, cli.Compressed)
		got, err := cli.Inflate(p)
		require.NoError(t, err)
		assert.Equal(t, string(m), string(got))
	}
	require.NoError(t, <-done)
	if keep {
		assert.Less(t, sizes[3], sizes[0], "a repeated message must refer back to the kept context")
	} else {
		assert.Equal(t, sizes[0], sizes[3])
	}
	_, err := cli.Inflate([]byte{0xff, 0xff})
	assert.Error(t, err, "corrupt input")
	assert.ErrorIs(t, cli.WriteCompressed(OpText, nil), ErrNotServer)
}
