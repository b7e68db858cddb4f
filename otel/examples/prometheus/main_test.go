package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// runMainEnv makes the test binary run the program's main instead of the
// tests, so the test scrapes the real program in a process of its own.
const runMainEnv = "STURDY_PROMETHEUS_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main()
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}

// TestScrape starts the program, scrapes /metrics over HTTP on loopback
// as Prometheus would, and checks the exposition text: each family's
// HELP and TYPE, its labels, and values that follow from a live session.
// Then it interrupts the program, which must exit cleanly.
func TestScrape(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.Command(os.Args[0], "-listen", "127.0.0.1:0", "-every", "5ms")
	cmd.Env = append(os.Environ(), runMainEnv+"=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	exited := false
	t.Cleanup(func() {
		if !exited {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
		if t.Failed() {
			t.Logf("the program's stderr:\n%s", stderr.String()) // read after Wait
		}
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err, "the program printed no address")
	url := strings.TrimSpace(strings.TrimPrefix(line, "metrics on "))
	require.True(t, strings.HasPrefix(url, "http://127.0.0.1:"), "first line: %q", line)

	// Scrape until the echoes have come back a few times.
	var text string
	var families map[string]*dto.MetricFamily
	for {
		text = scrape(t, ctx, url)
		p := expfmt.NewTextParser(model.UTF8Validation)
		families, err = p.TextToMetricFamilies(strings.NewReader(text))
		require.NoError(t, err, "the exposition text parses:\n%s", text)
		if value(families, "sturdy_client_messages_total", "network_io_direction", "receive") >= 3 {
			break
		}
		select {
		case <-ctx.Done():
			require.FailNow(t, "no echoes counted", text)
		case <-time.After(5 * time.Millisecond):
		}
	}

	for _, want := range []string{
		"# HELP sturdy_client_messages_total Data messages written from the queue (transmit) and read from the connection (receive), by network.io.direction.",
		"# TYPE sturdy_client_messages_total counter",
		"# TYPE sturdy_client_io_bytes_total counter",
		"# TYPE sturdy_client_connect_duration_seconds histogram",
		"# TYPE sturdy_client_state gauge",
		"# TYPE sturdy_client_queue_depth gauge",
		"# TYPE sturdy_client_queue_size_bytes gauge",
		"# TYPE sturdy_client_inbound_depth gauge",
		"# TYPE sturdy_client_inbound_dropped_total counter",
		`sturdy_client_state{network_protocol_name="websocket",sturdy_client_name="echo",sturdy_client_state="connected"} 1`,
		`sturdy_client_state{network_protocol_name="websocket",sturdy_client_name="echo",sturdy_client_state="reconnecting"} 0`,
	} {
		assert.Contains(t, text, want+"\n")
	}
	tx := value(families, "sturdy_client_messages_total", "network_io_direction", "transmit")
	rx := value(families, "sturdy_client_messages_total", "network_io_direction", "receive")
	assert.GreaterOrEqual(t, tx, rx, "every echo was sent first")
	assert.Equal(t, 4*rx, value(families, "sturdy_client_io_bytes_total", "network_io_direction", "receive"), "4 bytes each")
	h := families["sturdy_client_connect_duration_seconds"].GetMetric()
	require.Len(t, h, 1)
	assert.Equal(t, uint64(1), h[0].GetHistogram().GetSampleCount(), "one attempt")
	assert.Equal(t, "127.0.0.1", label(h[0], "server_address"))
	assert.Empty(t, label(h[0], "error_type"), "it succeeded")

	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	_, _ = io.Copy(io.Discard, stdout)
	exited = true
	err = cmd.Wait()
	require.NoError(t, err, "stderr: %s", stderr.String())
}

func scrape(t *testing.T, ctx context.Context, url string) string {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	require.NoError(t, err)
	req.Header.Set("Accept", "text/plain; version=0.0.4")
	// No keep-alive: no connection (and its goroutines) outlives the test.
	hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := hc.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.True(t, strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain"), resp.Header.Get("Content-Type"))
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b)
}

// value returns the value of the family's sample whose label k is v; 0
// when there is none.
func value(fams map[string]*dto.MetricFamily, name, k, v string) float64 {
	for _, m := range fams[name].GetMetric() {
		if label(m, k) == v {
			if c := m.GetCounter(); c != nil {
				return c.GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	return 0
}

func label(m *dto.Metric, k string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == k {
			return l.GetValue()
		}
	}
	return ""
}
