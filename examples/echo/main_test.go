package main

import (
	"bytes"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/sturdyws/sturdy/wstest"
)

// runMainEnv makes the test binary run the program's main instead of the
// tests, so the tests see its real output and exit status.
const runMainEnv = "STURDY_ECHO_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main()
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}

func runProgram(t *testing.T, args ...string) (status int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), runMainEnv+"=1")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode(), out.String(), errOut.String()
	}
	require.NoError(t, err)
	return 0, out.String(), errOut.String()
}

func TestEchoEmbedded(t *testing.T) {
	status, out, errOut := runProgram(t)
	require.Equal(t, 0, status, errOut)
	assert.Equal(t, "hello, sturdy\n", out)
}

func TestEchoURL(t *testing.T) {
	srv := wstest.Start(t, wstest.Options{Routes: map[string]wstest.Behavior{"/echo": wstest.Echo()}})
	status, out, errOut := runProgram(t, "-url="+srv.URL()+"/echo")
	require.Equal(t, 0, status, errOut)
	assert.Equal(t, "hello, sturdy\n", out)
	got := srv.Received()
	require.Len(t, got, 1, "the server got the message once")
	assert.Equal(t, "hello, sturdy", string(got[0].Data))
}

// TestEchoFailsOnRefusal: a 404 cannot be fixed by retrying, so the Client
// fails the session and the program exits 1 at once, with the reason.
func TestEchoFailsOnRefusal(t *testing.T) {
	srv := wstest.Start(t, wstest.Options{Default: wstest.Refuse(http.StatusNotFound, nil)})
	status, out, errOut := runProgram(t, "-url="+srv.URL()+"/nowhere")
	assert.Equal(t, 1, status)
	assert.Empty(t, out)
	assert.Contains(t, errOut, "404")
}
