package main

import (
	"net"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestEchoThroughEmbeddedServer: the program's path without -url.
func TestEchoThroughEmbeddedServer(t *testing.T) {
	url, stop, err := startEmbedded()
	require.NoError(t, err)
	defer stop()
	got, err := echo(t.Context(), url, []byte("hello, sturdy"))
	require.NoError(t, err)
	require.Equal(t, "hello, sturdy", string(got))
}

// TestEchoRetriesAfterADroppedConnection: the backoff loop is real: a
// server that drops the first connection before replying gets a second.
func TestEchoRetriesAfterADroppedConnection(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var conns atomic.Int32
	var up websocket.Upgrader
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer conn.Close()
		if conns.Add(1) == 1 {
			return // dropped before any reply
		}
		typ, p, err := conn.ReadMessage()
		if err == nil {
			_ = conn.WriteMessage(typ, p)
		}
	})}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	got, err := echo(t.Context(), "ws://"+ln.Addr().String(), []byte("again"))
	require.NoError(t, err)
	require.Equal(t, "again", string(got))
	require.Equal(t, int32(2), conns.Load())
}
