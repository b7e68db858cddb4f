package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// runMainEnv makes the test binary run the program's main instead of the
// tests, so a test can check the real exit status without a go build.
const runMainEnv = "STURDY_BLOCKFEED_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main() // exits
	}
	goleak.VerifyTestMain(m)
}

func runProgram(t *testing.T, args ...string) (status int, stdout string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), runMainEnv+"=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		status = exit.ExitCode()
	default:
		require.NoError(t, err)
	}
	return status, out.String()
}

// The program follows the chain through three server kills and exits 0
// with every block once, each gap reported and backfilled.
func TestFollowsThroughRestarts(t *testing.T) {
	status, out := runProgram(t, "-blocks", "200", "-restart-every", "50", "-down", "100ms")
	require.Equal(t, 0, status, out)
	// The producer may kill the server once more before the program ends.
	assert.GreaterOrEqual(t, len(regexp.MustCompile(`(?m)^server killed at block`).FindAllString(out, -1)), 3, out)
	assert.GreaterOrEqual(t, len(regexp.MustCompile(`(?m)^renewed subscription .*: gap after block \d+$`).FindAllString(out, -1)), 3, out)
	assert.Regexp(t, `(?m)^backfilled blocks \d+\.\.\d+$`, out)
	assert.Regexp(t, `(?m)^summary: blocks 1\.\.200: \d+ live, [1-9]\d* backfilled, \d+ repeated and skipped, 0 holes$`, out)
	assert.NotContains(t, out, "LOSS")
}

// Without the backfill the program finds the hole and exits 1: the check
// is real.
func TestCatchesLoss(t *testing.T) {
	status, out := runProgram(t, "-blocks", "80", "-restart-every", "40", "-down", "100ms", "-no-backfill")
	assert.Equal(t, 1, status, out)
	assert.Regexp(t, `(?m)^LOSS: got block \d+ after 40$`, out)
	assert.Regexp(t, `(?m)^summary: .* [1-9]\d* holes$`, out)
}

func TestBadFlags(t *testing.T) {
	status, _ := runProgram(t, "-blocks", "0")
	assert.Equal(t, 2, status)
}

// run in-process, for the leak check: everything it started is gone when
// it returns.
func TestRunInProcess(t *testing.T) {
	var out bytes.Buffer
	err := run(context.Background(), []string{"-blocks", "60", "-restart-every", "25", "-down", "50ms"}, &out, &out)
	require.NoError(t, err, out.String())
}
