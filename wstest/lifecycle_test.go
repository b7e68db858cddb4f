package wstest_test

import (
	"errors"
	"net"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sturdyws/sturdy/transport"
	"github.com/sturdyws/sturdy/wstest"
)

// Stop takes the server down for real: open connections end as 1006, new
// ones are refused by the kernel; Restart brings it back on the same
// address, with its routes and its record, and ordinals go on.
func TestStopRestart(t *testing.T) {
	srv := wstest.Start(t, wstest.Options{Default: wstest.Echo()})
	url := srv.URL()
	c := dial(t, srv, "/a", nil)
	write(t, c, "before")
	assert.Equal(t, "before", read(t, c))

	srv.Stop()
	assert.False(t, srv.Listening())
	_, err := readUntilErr(t, c)
	assert.Equal(t, transport.StatusAbnormalClosure, transport.CloseStatus(err), "dropped without a close frame")
	err = dialErr(t, srv, "/a", nil)
	assert.ErrorIs(t, err, syscall.ECONNREFUSED, "nothing listens while stopped")
	snap := srv.Snapshot()
	require.Len(t, snap.Conns, 1)
	assert.False(t, snap.Conns[0].Live)
	srv.Stop() // idempotent

	require.NoError(t, srv.Restart())
	assert.True(t, srv.Listening())
	assert.Equal(t, url, srv.URL())
	require.NoError(t, srv.Restart(), "a no-op while listening")
	c2 := dial(t, srv, "/a", nil)
	write(t, c2, "after")
	assert.Equal(t, "after", read(t, c2))
	require.NoError(t, srv.WaitLive(testCtx(t), 1))
	snap = srv.Snapshot()
	require.Len(t, snap.Conns, 2)
	assert.Equal(t, 2, snap.Conns[1].Ordinal)
	got := srv.Received()
	require.Len(t, got, 2, "the record survives Stop")
	assert.Equal(t, []int{1, 2}, []int{got[0].Conn, got[1].Conn})
}

// Options.Addr picks the address; Restart comes back on it.
func TestAddrOption(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close()) // free again, for the server to take

	srv := wstest.Start(t, wstest.Options{Addr: addr, Default: wstest.Echo()})
	assert.Equal(t, "ws://"+addr, srv.URL())
	assert.Equal(t, addr, srv.Addr().String())
	srv.Stop()
	require.NoError(t, srv.Restart())
	c := dial(t, srv, "/", nil)
	write(t, c, "x")
	assert.Equal(t, "x", read(t, c))

	_, err = wstest.NewServer(wstest.Options{Addr: addr})
	assert.Error(t, err, "the address is taken")
}

// Restart fails, and can be tried again, when another program took the
// address while the server was down.
func TestRestartAddressTaken(t *testing.T) {
	srv := wstest.Start(t, wstest.Options{})
	srv.Stop()
	thief, err := net.Listen("tcp", srv.Addr().String())
	require.NoError(t, err)
	assert.Error(t, srv.Restart())
	assert.False(t, srv.Listening())
	require.NoError(t, thief.Close())
	require.NoError(t, srv.Restart())
	dial(t, srv, "/", nil)
}

// A handshake the server holds when it stops is refused; Stop returns
// once its goroutine is gone (goleak checks the rest at the end).
func TestStopReleasesHeldHandshakes(t *testing.T) {
	srv := wstest.Start(t, wstest.Options{})
	srv.StallHandshakes()
	errc := make(chan error, 1)
	go func() {
		c, _, err := transport.Dial(testCtx(t), srv.URL()+"/", nil)
		if err == nil {
			_ = c.CloseNow()
		}
		errc <- err
	}()
	require.NoError(t, srv.WaitHandshakes(testCtx(t), 1))
	srv.Stop()
	assert.Error(t, <-errc)
	assert.Zero(t, srv.Snapshot().Handshakes[0].Status, "never answered")
}

// After Close, Restart refuses and Stop does nothing.
func TestRestartAfterClose(t *testing.T) {
	srv, err := wstest.NewServer(wstest.Options{})
	require.NoError(t, err)
	srv.Close()
	srv.Stop()
	assert.True(t, errors.Is(srv.Restart(), wstest.ErrServerClosed))
	assert.False(t, srv.Listening())
}

// Stop and Restart may race with Close and with each other.
func TestStopRestartConcurrent(t *testing.T) {
	srv := wstest.Start(t, wstest.Options{Default: wstest.Echo()})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 20 {
			srv.Stop()
			_ = srv.Restart()
		}
	}()
	for range 20 {
		c, _, err := transport.Dial(testCtx(t), srv.URL()+"/", nil)
		if err == nil {
			_ = c.CloseNow()
		}
	}
	<-done
	srv.Close()
}
