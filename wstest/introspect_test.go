package wstest_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sturdyws/sturdy/transport"
	"github.com/sturdyws/sturdy/wstest"
)

// TestHandshakeRecord checks what the record holds for each attempt:
// number, time (between the client's dial and its return), path, header,
// answer and connection; and that Intervals are the gaps between them, as
// a backoff test computes them.
func TestHandshakeRecord(t *testing.T) {
	srv := wstest.Start(t, wstest.Options{})
	srv.RejectNext(1, 503, nil)

	var before, after []time.Time
	for i, token := range []string{"t1", "t2", "t3"} {
		before = append(before, time.Now())
		opts := withHeader("Authorization", "Bearer "+token)
		if i == 0 {
			dialErr(t, srv, "/feed", opts)
		} else {
			dial(t, srv, "/feed", opts)
		}
		after = append(after, time.Now())
	}

	snap := srv.Snapshot()
	require.Equal(t, 3, snap.Attempts())
	for i, h := range snap.Handshakes {
		assert.Equal(t, i+1, h.Attempt)
		assert.Equal(t, "/feed", h.Path)
		assert.False(t, h.Time.Before(before[i]), "attempt %d recorded before its dial", i+1)
		assert.False(t, h.Time.After(after[i]), "attempt %d recorded after its dial", i+1)
	}
	assert.Equal(t, "Bearer t1", snap.Handshakes[0].Header.Get("Authorization"))
	assert.Equal(t, "Bearer t3", snap.Handshakes[2].Header.Get("Authorization"))
	assert.Equal(t, []int{503, 101, 101}, []int{snap.Handshakes[0].Status, snap.Handshakes[1].Status, snap.Handshakes[2].Status})
	assert.Equal(t, []int{0, 1, 2}, []int{snap.Handshakes[0].Conn, snap.Handshakes[1].Conn, snap.Handshakes[2].Conn})

	gaps := snap.Intervals()
	require.Len(t, gaps, 2)
	assert.Equal(t, snap.Handshakes[1].Time.Sub(snap.Handshakes[0].Time), gaps[0])
	assert.Equal(t, snap.Handshakes[2].Time.Sub(snap.Handshakes[1].Time), gaps[1])
	assert.Empty(t, wstest.Snapshot{}.Intervals())
}

// TestCounts follows the counts through connections opening, exchanging
// messages and ending, and what each connection's record says about how
// it ended.
func TestCounts(t *testing.T) {
	srv := wstest.Start(t, wstest.Options{Default: wstest.Echo()})
	snap := srv.Snapshot()
	assert.Equal(t, "attempts=0 accepted=0 live=0 received=0 sent=0", snap.String())

	a := dial(t, srv, "/a", nil)
	b := dial(t, srv, "/b", nil)
	write(t, a, "1")
	write(t, a, "2")
	write(t, b, "3")
	read(t, a)
	read(t, a)
	read(t, b)

	snap = srv.Snapshot()
	assert.Equal(t, 2, snap.Attempts())
	assert.Equal(t, 2, snap.Accepted())
	assert.Equal(t, 2, snap.Live)
	assert.Equal(t, 3, snap.Received())
	assert.Equal(t, 3, snap.Sent)
	assert.Equal(t, "/a", snap.Conns[0].Path)
	assert.Equal(t, 2, snap.Conns[0].Received)
	assert.Equal(t, 2, snap.Conns[0].Sent)
	assert.Equal(t, 1, snap.Conns[1].Received)
	assert.True(t, snap.Conns[0].Closed.IsZero())
	assert.NoError(t, snap.Conns[0].Err)

	require.NoError(t, a.Close(transport.StatusGoingAway, "leaving"))
	require.NoError(t, srv.WaitLive(testCtx(t), 1))
	require.NoError(t, srv.Drop(2))
	require.NoError(t, srv.WaitLive(testCtx(t), 0))

	snap = srv.Snapshot()
	var ce *transport.CloseError
	require.ErrorAs(t, snap.Conns[0].Err, &ce)
	assert.Equal(t, transport.StatusGoingAway, ce.Code)
	assert.Equal(t, "leaving", ce.Reason)
	assert.Equal(t, transport.StatusAbnormalClosure, transport.CloseStatus(snap.Conns[1].Err))
	for _, c := range snap.Conns {
		assert.False(t, c.Live)
		assert.False(t, c.Closed.Before(c.Opened))
	}
}

// TestSnapshotIsStable checks that a snapshot does not change as the
// server goes on.
func TestSnapshotIsStable(t *testing.T) {
	srv := wstest.Start(t, wstest.Options{})
	c := dial(t, srv, "/", nil)
	write(t, c, "1")
	require.NoError(t, srv.WaitReceived(testCtx(t), 1))
	snap := srv.Snapshot()
	_ = append(snap.Messages, wstest.Message{Data: []byte("appended")})

	write(t, c, "2")
	require.NoError(t, srv.WaitReceived(testCtx(t), 2))
	assert.Len(t, snap.Messages, 1)
	assert.Equal(t, 1, snap.Conns[0].Received)
	assert.Equal(t, "2", string(srv.Snapshot().Messages[1].Data), "an append to a snapshot must not reach the record")
}
