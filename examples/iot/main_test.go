package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/sturdyws/sturdy/queue"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// childEnv makes the test binary run the agent with the arguments it
// holds (separated by spaces) instead of the tests: a process that can
// really crash.
const childEnv = "STURDY_IOT_AGENT_ARGS"

func TestAgentProcess(t *testing.T) {
	args := os.Getenv(childEnv)
	if args == "" {
		t.Skip("runs only as the child of TestCrashedAgentDeliversEverything")
	}
	err := run(context.Background(), strings.Fields(args), os.Stdout, os.Stderr, os.Exit)
	require.NoError(t, err)
}

// runChild runs the agent in a process of its own and returns its output
// and exit code.
func runChild(t *testing.T, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestAgentProcess$")
	cmd.Env = append(os.Environ(), childEnv+"="+strings.Join(args, " "))
	out, err := cmd.CombinedOutput()
	if exit, ok := err.(*exec.ExitError); ok {
		return string(out), exit.ExitCode()
	}
	require.NoError(t, err)
	return string(out), 0
}

// TestCrashedAgentDeliversEverything is the README's story: two agent
// processes take readings while the uplink is down and crash (exit
// without closing anything); a third, with the uplink back, delivers
// every reading of all three, in order, and leaves the queue empty.
func TestCrashedAgentDeliversEverything(t *testing.T) {
	dir := t.TempDir()
	for i, n := range []string{"4", "3"} {
		out, code := runChild(t, "-dir", dir, "-offline", "-crash", "-readings", n, "-every", "0")
		require.Equal(t, 3, code, "run %d must end in the simulated crash:\n%s", i+1, out)
		require.Contains(t, out, "simulating a crash", out)
	}

	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := run(ctx, []string{"-dir", dir, "-readings", "2", "-every", "0", "-retry", "20ms"}, &out, &out, nil)
	require.NoError(t, err, out.String())
	require.Contains(t, out.String(), "7 unsent readings from earlier runs", out.String())
	// Numbers skip ahead after each crash (the queue reserves them in
	// blocks, so a lost tail can never make one repeat): 9 readings, from
	// #1, in order.
	require.Contains(t, out.String(), "server received all 9 readings (#1 to", out.String())

	q, err := queue.OpenFile(dir, queue.FileOptions{})
	require.NoError(t, err)
	n, _ := q.Len()
	require.NoError(t, q.Close())
	require.Zero(t, n, "every acknowledged reading left the queue for good")
}

// TestAgentReportsDrops: readings taken offline beyond -max-queued evict
// the oldest, and each eviction is reported and counted; the server gets
// the rest, in order.
func TestAgentReportsDrops(t *testing.T) {
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := run(ctx, []string{"-dir", t.TempDir(), "-offline", "-max-queued", "3", "-readings", "5", "-every", "0", "-retry", "20ms"}, &out, &out, nil)
	require.NoError(t, err, out.String())
	for _, want := range []string{
		"reading #1 not delivered: Overflow",
		"reading #2 not delivered: Overflow",
		"every reading acknowledged, except 2 dropped by the queue",
		"server received all 3 readings (#3 to #5), in order",
	} {
		require.Contains(t, out.String(), want, out.String())
	}
	require.NotContains(t, out.String(), "reading #3 not delivered", out.String())
}

func TestFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"url and offline", []string{"-url", "ws://x", "-offline"}},
		{"stray argument", []string{"stray"}},
		{"no queue room", []string{"-max-queued", "0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var errOut bytes.Buffer
			_, err := parseFlags(tt.args, &errOut)
			require.ErrorIs(t, err, errUsage)
		})
	}
	var errOut bytes.Buffer
	c, err := parseFlags(nil, &errOut)
	require.NoError(t, err)
	require.Equal(t, 5, c.readings)
	require.Equal(t, 100_000, c.maxQueued)
}
