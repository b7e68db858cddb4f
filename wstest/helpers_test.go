package wstest_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sturdyws/sturdy/transport"
	"github.com/sturdyws/sturdy/wstest"
)

// testTimeout bounds every wait in these tests. Waits end on events, so it
// is only reached when something is broken; it is generous so that a
// loaded machine never gets there by accident.
const testTimeout = 10 * time.Second

// testCtx returns a context that ends with the test or after testTimeout.
func testCtx(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// dial opens a client connection to path, closed when the test ends.
func dial(t testing.TB, srv *wstest.Server, path string, opts *transport.DialOptions) *transport.Conn {
	t.Helper()
	c, _, err := transport.Dial(testCtx(t), srv.URL()+path, opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.CloseNow() })
	return c
}

// dialErr dials path and returns the error, which the caller expects.
func dialErr(t testing.TB, srv *wstest.Server, path string, opts *transport.DialOptions) error {
	t.Helper()
	c, _, err := transport.Dial(testCtx(t), srv.URL()+path, opts)
	if err == nil {
		_ = c.CloseNow()
	}
	require.Error(t, err)
	return err
}

// withHeader returns dial options carrying one request header.
func withHeader(name, value string) *transport.DialOptions {
	return &transport.DialOptions{Header: http.Header{name: {value}}}
}

// readUntilErr reads and discards messages until the connection fails, and
// returns the messages and the error.
func readUntilErr(t testing.TB, c *transport.Conn) ([][]byte, error) {
	t.Helper()
	ctx := testCtx(t)
	var msgs [][]byte
	for {
		_, p, err := c.Read(ctx)
		if err != nil {
			require.NoError(t, ctx.Err(), "the connection did not end in time")
			return msgs, err
		}
		msgs = append(msgs, p)
	}
}

// write sends a text message.
func write(t testing.TB, c *transport.Conn, s string) {
	t.Helper()
	require.NoError(t, c.Write(testCtx(t), transport.MessageText, []byte(s)))
}

// read reads one message and returns it as a string.
func read(t testing.TB, c *transport.Conn) string {
	t.Helper()
	_, p, err := c.Read(testCtx(t))
	require.NoError(t, err)
	return string(p)
}

// seqs reads n stream messages and returns their sequence numbers.
func seqs(t testing.TB, c *transport.Conn, n int) []uint64 {
	t.Helper()
	out := make([]uint64, 0, n)
	for range n {
		_, p, err := c.Read(testCtx(t))
		require.NoError(t, err)
		seq, ok := wstest.ParseSeq(p)
		require.True(t, ok, "not a stream message: %q", p)
		out = append(out, seq)
	}
	return out
}

// span returns the numbers from first to last.
func span(first, last uint64) []uint64 {
	var out []uint64
	for i := first; i <= last; i++ {
		out = append(out, i)
	}
	return out
}
