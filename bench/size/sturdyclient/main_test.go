package main

import (
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/sturdyws/sturdy/wstest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestEcho: the program's whole path against an echo server.
func TestEcho(t *testing.T) {
	srv := wstest.Start(t, wstest.Options{Default: wstest.Echo()})
	got, err := echo(t.Context(), srv.URL(), []byte("hello, sturdy"))
	require.NoError(t, err)
	require.Equal(t, "hello, sturdy", string(got))
}
