package wstest_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sturdyws/sturdy/transport"
	"github.com/sturdyws/sturdy/wstest"
)

// TestRejectNext refuses handshakes with each status a client must tell
// apart, and checks the *transport.HandshakeError it gets, the record, and
// that the handshake after the refused ones succeeds.
func TestRejectNext(t *testing.T) {
	tests := []struct {
		status     int
		header     http.Header
		retryAfter time.Duration
	}{
		{status: http.StatusBadRequest},
		{status: http.StatusUnauthorized},
		{status: http.StatusForbidden},
		{status: http.StatusNotFound},
		{status: http.StatusTooManyRequests, header: http.Header{"Retry-After": {"3"}}, retryAfter: 3 * time.Second},
		{status: http.StatusServiceUnavailable, header: http.Header{"Retry-After": {"2"}}, retryAfter: 2 * time.Second},
		{status: http.StatusServiceUnavailable},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.status), func(t *testing.T) {
			srv := wstest.Start(t, wstest.Options{})
			srv.RejectNext(2, tt.status, tt.header)
			for range 2 {
				var he *transport.HandshakeError
				require.ErrorAs(t, dialErr(t, srv, "/", nil), &he)
				assert.Equal(t, tt.status, he.StatusCode)
				assert.Equal(t, tt.retryAfter, he.RetryAfter)
			}
			dial(t, srv, "/", nil)

			snap := srv.Snapshot()
			require.Equal(t, 3, snap.Attempts())
			assert.Equal(t, tt.status, snap.Handshakes[0].Status)
			assert.Equal(t, tt.status, snap.Handshakes[1].Status)
			assert.Equal(t, http.StatusSwitchingProtocols, snap.Handshakes[2].Status)
			assert.Equal(t, 1, snap.Handshakes[2].Conn)
			assert.Equal(t, 1, snap.Accepted())
		})
	}
}

// TestRejectNextQueues checks that rejections queue up in call order.
func TestRejectNextQueues(t *testing.T) {
	srv := wstest.Start(t, wstest.Options{})
	srv.RejectNext(1, http.StatusServiceUnavailable, nil)
	srv.RejectNext(1, http.StatusUnauthorized, nil)
	srv.RejectNext(0, http.StatusTeapot, nil) // n <= 0 does nothing

	var statuses []int
	for range 2 {
		var he *transport.HandshakeError
		require.ErrorAs(t, dialErr(t, srv, "/", nil), &he)
		statuses = append(statuses, he.StatusCode)
	}
	assert.Equal(t, []int{503, 401}, statuses)
	dial(t, srv, "/", nil)
}

// TestFlapNext accepts and drops the next handshakes: the dial succeeds and
// the first read fails with 1006.
func TestFlapNext(t *testing.T) {
	srv := wstest.Start(t, wstest.Options{Default: wstest.Echo()})
	srv.FlapNext(2)
	for range 2 {
		c := dial(t, srv, "/", nil)
		_, err := readUntilErr(t, c)
		assert.Equal(t, transport.StatusAbnormalClosure, transport.CloseStatus(err))
	}
	c := dial(t, srv, "/", nil)
	write(t, c, "steady")
	assert.Equal(t, "steady", read(t, c))

	require.NoError(t, srv.WaitLive(testCtx(t), 1))
	snap := srv.Snapshot()
	require.Equal(t, 3, snap.Accepted())
	assert.False(t, snap.Conns[0].Live)
	assert.False(t, snap.Conns[1].Live)
	assert.True(t, snap.Conns[2].Live)
}

// TestDelayHandshakes delays every answer: a patient client gets through
// no sooner than the delay, an impatient one times out.
func TestDelayHandshakes(t *testing.T) {
	srv := wstest.Start(t, wstest.Options{})
	const delay = 50 * time.Millisecond
	srv.DelayHandshakes(delay)
	start := time.Now()
	dial(t, srv, "/", nil)
	assert.GreaterOrEqual(t, time.Since(start), delay)

	srv.DelayHandshakes(time.Hour)
	err := dialErr(t, srv, "/", &transport.DialOptions{HandshakeTimeout: 50 * time.Millisecond})
	assert.ErrorIs(t, err, context.DeadlineExceeded)

	srv.DelayHandshakes(0)
	dial(t, srv, "/", nil)
}

// TestStallHandshakes holds handshakes unanswered until released.
func TestStallHandshakes(t *testing.T) {
	srv := wstest.Start(t, wstest.Options{})
	srv.StallHandshakes()
	srv.StallHandshakes() // idempotent

	type result struct {
		c   *transport.Conn
		err error
	}
	done := make(chan result, 1)
	ctx := testCtx(t)
	go func() {
		c, _, err := transport.Dial(ctx, srv.URL(), nil)
		done <- result{c, err}
	}()
	require.NoError(t, srv.WaitHandshakes(testCtx(t), 1))
	snap := srv.Snapshot()
	assert.Zero(t, snap.Handshakes[0].Status, "a held handshake has no answer yet")
	assert.Zero(t, snap.Accepted())
	select {
	case r := <-done:
		t.Fatalf("the dial returned while held: %v", r.err)
	default:
	}

	// An impatient client gives up while held.
	err := dialErr(t, srv, "/", &transport.DialOptions{HandshakeTimeout: 50 * time.Millisecond})
	assert.ErrorIs(t, err, context.DeadlineExceeded)

	srv.ReleaseHandshakes()
	r := <-done
	require.NoError(t, r.err)
	_ = r.c.CloseNow()
	require.NoError(t, srv.WaitAccepted(testCtx(t), 1))
	dial(t, srv, "/", nil) // released for good
}

// TestCloseReleasesHeldHandshakes checks that Close does not wait for a
// held handshake, and leaves it unanswered.
func TestCloseReleasesHeldHandshakes(t *testing.T) {
	srv, err := wstest.NewServer(wstest.Options{})
	require.NoError(t, err)
	srv.StallHandshakes()
	done := make(chan error, 1)
	ctx := testCtx(t)
	go func() {
		_, _, err := transport.Dial(ctx, srv.URL(), nil)
		done <- err
	}()
	require.NoError(t, srv.WaitHandshakes(testCtx(t), 1))
	srv.Close()
	err = <-done
	require.Error(t, err)
	var he *transport.HandshakeError
	assert.False(t, errors.As(err, &he), "got %v, want the connection closed without an answer", err)
	assert.Zero(t, srv.Snapshot().Handshakes[0].Status)
}

// TestNotAWebSocketRequest checks that a plain HTTP request gets the
// transport's refusal, recorded like any other.
func TestNotAWebSocketRequest(t *testing.T) {
	srv := wstest.Start(t, wstest.Options{})
	req, err := http.NewRequestWithContext(testCtx(t), http.MethodGet, "http"+srv.URL()[2:]+"/plain", nil)
	require.NoError(t, err)
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	resp, err := client.Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusUpgradeRequired, resp.StatusCode)
	snap := srv.Snapshot()
	require.Equal(t, 1, snap.Attempts())
	assert.Equal(t, http.StatusUpgradeRequired, snap.Handshakes[0].Status)
	assert.Equal(t, "/plain", snap.Handshakes[0].Path)
}

// TestOversizedRequestHead checks that a request head over the limit is
// cut off without an answer, and is not an attempt.
func TestOversizedRequestHead(t *testing.T) {
	srv := wstest.Start(t, wstest.Options{})
	nc, err := net.Dial("tcp", srv.Addr().String())
	require.NoError(t, err)
	defer nc.Close()
	head := "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 100<<10) + "\r\n\r\n"
	// The server may stop reading, and close, before all of it is written.
	_, _ = nc.Write([]byte(head))
	_ = nc.SetReadDeadline(time.Now().Add(testTimeout))
	n, err := nc.Read(make([]byte, 1))
	assert.Zero(t, n)
	assert.Error(t, err, "the server must close the connection")
	assert.Zero(t, srv.Snapshot().Attempts())
}
