package client

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sturdyws/sturdy/internal/testctx"
	"github.com/sturdyws/sturdy/transport"
	"github.com/sturdyws/sturdy/wstest"
)

// TestDirectReadsOnlyWhereTheyCanSucceed: Read takes messages off a
// connection itself only where TryReadInto can take them. On a
// connection with permessage-deflate it could take none, and every
// message would cost a park of the program and a wake of the reader,
// which then must not step back either.
func TestDirectReadsOnlyWhereTheyCanSucceed(t *testing.T) {
	ctx := testctx.UntilDeadline(t)
	srv := wstest.Start(t, wstest.Options{Default: wstest.Echo(), Compression: &transport.CompressionOptions{}})
	for _, tc := range []struct {
		name       string
		compressed bool
		policy     InboundPolicy
		want       bool
	}{
		{"plain", false, InboundDropOldest, true},
		{"plain, waiting", false, InboundWait, true},
		{"plain, discarding", false, InboundDiscard, false},
		{"compressed", true, InboundDropOldest, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var opts transport.DialOptions
			if tc.compressed {
				opts.Compression = &transport.CompressionOptions{}
			}
			conn, _, err := transport.Dial(ctx, srv.URL(), &opts)
			require.NoError(t, err)
			defer conn.CloseNow()
			_, compressed := conn.Compression()
			require.Equal(t, tc.compressed, compressed)
			assert.Equal(t, tc.want, directReads(conn, tc.policy))
		})
	}
}
