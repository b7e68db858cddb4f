package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// runMainEnv makes the test binary run the program's main instead of the
// tests, so a test can check the real exit status without a go build.
const runMainEnv = "STURDY_FEED_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main() // exits
	}
	goleak.VerifyTestMain(m)
}

// runProgram runs the program as a process with args and returns its exit
// status and output.
func runProgram(t *testing.T, args ...string) (status int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), runMainEnv+"=1")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		status = exit.ExitCode()
	default:
		require.NoError(t, err)
	}
	return status, out.String(), errOut.String()
}

// TestFeedSurvivesFaults is the newcomer path: the program as README runs
// it, with a shorter duration, must exit 0 with a summary that found
// nothing lost, and each scheduled fault must have been noticed and healed.
func TestFeedSurvivesFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the program for 8 s")
	}
	status, out, errOut := runProgram(t, "-duration=8s", "-fault-every=700ms", "-heartbeat=250ms")
	t.Log("\n" + out + errOut)
	require.Equal(t, 0, status, "exit status")

	assert.Contains(t, out, "result         OK")
	assert.Regexp(t, `orders +\d+ sent, \d+ delivered in order, \d+ replayed after a reconnect, \d+ expired unsent, \d+ expired unacknowledged, 0 undelivered, 0 lost`, out)
	assert.Regexp(t, `prices +\d+ received, 0 gaps \(0 missing\), 0 duplicates`, out)
	reconnects := summaryInt(t, out, `reconnects +(\d+)`)
	require.GreaterOrEqual(t, reconnects, 1, "the schedule's first fault comes after 700ms of an 8s run")
	conns := summaryInt(t, out, `subscriptions +\d+ of (\d+) connections`)
	subscribed := summaryInt(t, out, `subscriptions +(\d+) of`)
	assert.Equal(t, conns, subscribed, "every connection began with its subscription")

	// Every fault the server announced is followed by the client noticing
	// it, with the cause that fault produces, and a backoff delay.
	lines := strings.Split(out, "\n")
	faults := 0
	for i, l := range lines {
		var want string
		switch {
		case strings.Contains(l, "server: drop"):
			want = "1006"
		case strings.Contains(l, "server: go half-open"):
			want = "heartbeat"
		case strings.Contains(l, "server: close with 1012"):
			want = "1012"
		default:
			continue
		}
		faults++
		var seen bool
		for _, next := range lines[i+1:] {
			if strings.Contains(next, "Connected → Reconnecting in") {
				assert.Contains(t, next, want, "the reconnect after %q", l)
				seen = true
				break
			}
		}
		assert.True(t, seen, "no reconnect after %q", l)
	}
	assert.GreaterOrEqual(t, reconnects, faults, "a reconnect for every fault")
}

func summaryInt(t *testing.T, out, pattern string) int {
	t.Helper()
	m := regexp.MustCompile(pattern).FindStringSubmatch(out)
	require.NotNil(t, m, "summary has no %q", pattern)
	n, err := strconv.Atoi(m[1])
	require.NoError(t, err)
	return n
}

// TestFeedUnreachableServerFails runs the program in-process (so goleak
// checks that it stops everything it started) against a port nobody
// listens on: the orders never get out, and the summary must say so and
// fail rather than claim success. Orders whose MaxAge passes during the
// outage are reported as expired when it passes (the queue's timer), the
// rest as undelivered at Close.
func TestFeedUnreachableServerFails(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())

	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = run(ctx, []string{"-url=ws://" + addr + "/feed", "-duration=2s"}, &out, &errOut)
	t.Log("\n" + out.String())
	require.ErrorIs(t, err, errLost)
	assert.Contains(t, out.String(), "result         FAILED")
	assert.Regexp(t, `orders +(\d+) sent, 0 delivered in order, 0 replayed after a reconnect, \d+ expired unsent, 0 expired unacknowledged, [1-9]\d* undelivered, 0 lost`, out.String())
	assert.Contains(t, out.String(), "Connecting → Reconnecting in")
	assert.Contains(t, out.String(), "not delivered: Closed")
}

// TestFeedExitStatus checks the statuses main gives for a failed check and
// for a bad command line.
func TestFeedExitStatus(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	status, out, errOut := runProgram(t, "-url=ws://"+addr+"/feed", "-duration=2s")
	assert.Equal(t, 1, status, "orders undelivered")
	assert.Contains(t, out, "result         FAILED")
	assert.Contains(t, errOut, errLost.Error())

	status, _, errOut = runProgram(t, "-duration=1s")
	assert.Equal(t, 2, status, "a bad command line")
	assert.Contains(t, errOut, "-duration must be at least 2s")

	status, _, _ = runProgram(t, "-no-such-flag")
	assert.Equal(t, 2, status, "an unknown flag")

	status, _, _ = runProgram(t, "-h")
	assert.Equal(t, 0, status, "help")
}
