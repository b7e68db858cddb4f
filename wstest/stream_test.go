package wstest_test

import (
	"encoding/binary"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sturdyws/sturdy/transport"
	"github.com/sturdyws/sturdy/wstest"
)

// TestStreamFormats checks the payloads Stream sends, text and binary,
// with and without padding, and that ParseSeq reads them back.
func TestStreamFormats(t *testing.T) {
	tests := []struct {
		name     string
		opts     wstest.StreamOptions
		typ      transport.MessageType
		wantSize func(seq uint64) int
	}{
		{"text", wstest.StreamOptions{}, transport.MessageText, nil},
		{"text padded", wstest.StreamOptions{Size: 100}, transport.MessageText, func(uint64) int { return 100 }},
		{"text padded with spaces", wstest.StreamOptions{Size: 14}, transport.MessageText, func(uint64) int { return 14 }},
		{"text size below minimum", wstest.StreamOptions{Size: 3}, transport.MessageText, func(uint64) int { return len(`{"seq":1}`) }},
		{"binary", wstest.StreamOptions{Binary: true}, transport.MessageBinary, func(uint64) int { return 8 }},
		{"binary padded", wstest.StreamOptions{Binary: true, Size: 1000}, transport.MessageBinary, func(uint64) int { return 1000 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Count = 3
			srv := wstest.Start(t, wstest.Options{Default: wstest.Stream(tt.opts)})
			c := dial(t, srv, "/", nil)
			for want := uint64(1); want <= 3; want++ {
				typ, p, err := c.Read(testCtx(t))
				require.NoError(t, err)
				assert.Equal(t, tt.typ, typ)
				if tt.wantSize != nil {
					assert.Len(t, p, tt.wantSize(want))
				}
				seq, ok := wstest.ParseSeq(p)
				require.True(t, ok)
				assert.Equal(t, want, seq)
				if typ == transport.MessageText {
					var v struct{ Seq uint64 }
					require.NoError(t, json.Unmarshal(p, &v), "%q is not JSON", p)
					assert.Equal(t, want, v.Seq)
				} else {
					assert.Equal(t, want, binary.BigEndian.Uint64(p))
				}
			}
		})
	}
}

// TestStreamContinuesAcrossConnections checks that numbering goes on where
// the previous connection stopped: with Count, and after a drop in the
// middle of a fast stream, where nothing the client missed is skipped.
func TestStreamContinuesAcrossConnections(t *testing.T) {
	t.Run("count", func(t *testing.T) {
		srv := wstest.Start(t, wstest.Options{Default: wstest.Stream(wstest.StreamOptions{Count: 3})})
		for conn := range uint64(3) {
			c := dial(t, srv, "/", nil)
			assert.Equal(t, span(conn*3+1, conn*3+3), seqs(t, c, 3))
			require.NoError(t, c.Close(transport.StatusNormalClosure, ""))
			require.NoError(t, srv.WaitLive(testCtx(t), 0))
		}
	})
	t.Run("drop mid-stream", func(t *testing.T) {
		srv := wstest.Start(t, wstest.Options{Default: wstest.Stream(wstest.StreamOptions{})})
		c := dial(t, srv, "/", nil)
		first := seqs(t, c, 10)
		require.Equal(t, span(1, 10), first)
		require.NoError(t, srv.Drop(1))
		rest, err := readUntilErr(t, c)
		require.Equal(t, transport.StatusAbnormalClosure, transport.CloseStatus(err))
		last := uint64(10)
		for _, p := range rest {
			seq, ok := wstest.ParseSeq(p)
			require.True(t, ok)
			require.Equal(t, last+1, seq, "gap or reordering on the first connection")
			last = seq
		}
		// One connection at a time: the next starts once the first is gone.
		require.NoError(t, srv.WaitLive(testCtx(t), 0))
		d := dial(t, srv, "/", nil)
		assert.Equal(t, span(last+1, last+5), seqs(t, d, 5))
	})
	t.Run("routes count apart", func(t *testing.T) {
		srv := wstest.Start(t, wstest.Options{Routes: map[string]wstest.Behavior{
			"/a": wstest.Stream(wstest.StreamOptions{Count: 2}),
			"/b": wstest.Stream(wstest.StreamOptions{Count: 2}),
		}})
		assert.Equal(t, []uint64{1, 2}, seqs(t, dial(t, srv, "/a", nil), 2))
		assert.Equal(t, []uint64{1, 2}, seqs(t, dial(t, srv, "/b", nil), 2))
	})
}

// TestStreamConcurrentConnections checks that concurrent connections each
// see increasing numbers, and together see each number once.
func TestStreamConcurrentConnections(t *testing.T) {
	srv := wstest.Start(t, wstest.Options{Default: wstest.Stream(wstest.StreamOptions{Count: 50})})
	a, b := dial(t, srv, "/", nil), dial(t, srv, "/", nil)
	seen := map[uint64]bool{}
	for _, c := range []*transport.Conn{a, b} {
		got := seqs(t, c, 50)
		for i, seq := range got {
			if i > 0 {
				assert.Greater(t, seq, got[i-1])
			}
			assert.False(t, seen[seq], "seq %d twice", seq)
			seen[seq] = true
		}
	}
	assert.Len(t, seen, 100)
}

// TestStreamRate checks the rate as a lower bound on the time taken: a
// loaded machine may be slower, never faster.
func TestStreamRate(t *testing.T) {
	const rate, n = 200, 5
	srv := wstest.Start(t, wstest.Options{Default: wstest.Stream(wstest.StreamOptions{Rate: rate, Count: n})})
	c := dial(t, srv, "/", nil)
	assert.Equal(t, span(1, n), seqs(t, c, n))
	// The first message goes out at once, the others a period apart, all
	// after the connection opened.
	period := time.Second / rate
	assert.GreaterOrEqual(t, time.Since(srv.Snapshot().Conns[0].Opened), (n-1)*period)
}

// TestParseSeq covers the forms ParseSeq accepts and refuses.
func TestParseSeq(t *testing.T) {
	be := func(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }
	tests := []struct {
		in   []byte
		want uint64
		ok   bool
	}{
		{[]byte(`{"seq":42}`), 42, true},
		{[]byte(`{"seq":42,"pad":"xx"}`), 42, true},
		{[]byte(`{"seq":7   }`), 7, true},
		{[]byte(`{"price":1.5,"seq":9}`), 9, true},
		{[]byte(`{ "seq" : 10 }`), 10, true},
		{[]byte(`{"seq":18446744073709551615}`), 1<<64 - 1, true},
		{[]byte(`{"seq":18446744073709551616}`), 0, false},
		{[]byte(`{"seq":-1}`), 0, false},
		{[]byte(`{"seq":"1"}`), 0, false},
		{[]byte(`{"other":1}`), 0, false},
		{[]byte(`{"seq":5,`), 0, false},
		{[]byte(`{`), 0, false},
		{be(1), 1, true},
		{append(be(300), 0, 0, 0), 300, true},
		{[]byte{1, 2, 3}, 0, false},
		{nil, 0, false},
	}
	for _, tt := range tests {
		got, ok := wstest.ParseSeq(tt.in)
		assert.Equal(t, tt.ok, ok, "%q", tt.in)
		assert.Equal(t, tt.want, got, "%q", tt.in)
	}
}
