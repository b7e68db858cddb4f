package interop

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	gethrpc "github.com/ethereum/go-ethereum/rpc"
	"github.com/stretchr/testify/require"

	"github.com/sturdyws/sturdy/client"
	"github.com/sturdyws/sturdy/rpc"
)

// The notification benchmark: one go-ethereum rpc server, in a process of
// its own (so its allocations are not counted against the clients), sends
// a burst of eth-style notifications to one subscription; the clients, in
// this process, are sturdy's rpc and go-ethereum's own rpc client, taking
// turns on the same server. Each receives every event and decodes it into
// the same struct. Reported: notifications per second (median of the
// rounds) and heap allocations per notification, and their ratios.

const benchServerEnv = "STURDY_INTEROP_RPC_BENCH_SERVER"

// benchEvent looks like a block header notification, trimmed.
type benchEvent struct {
	Number     uint64 `json:"number"`
	Hash       string `json:"hash"`
	ParentHash string `json:"parentHash"`
	Miner      string `json:"miner"`
}

type floodService struct{}

// Flood is the subscription "flood": n events, as fast as the connection
// takes them.
func (floodService) Flood(ctx context.Context, n int) (*gethrpc.Subscription, error) {
	notifier, ok := gethrpc.NotifierFromContext(ctx)
	if !ok {
		return nil, gethrpc.ErrNotificationsUnsupported
	}
	sub := notifier.CreateSubscription()
	go func() {
		hash := "0x" + strings.Repeat("ab", 32)
		for i := 1; i <= n; i++ {
			if notifier.Notify(sub.ID, benchEvent{Number: uint64(i), Hash: hash, ParentHash: hash, Miner: hash[:42]}) != nil {
				return
			}
		}
	}()
	return sub, nil
}

// serveBench is the server process: it prints its address and serves
// until its stdin closes (the test ended), so it never outlives the test.
func serveBench() {
	srv := gethrpc.NewServer()
	if err := srv.RegisterName("bench", floodService{}); err != nil {
		panic(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	fmt.Println(ln.Addr().String())
	go func() { _ = http.Serve(ln, srv.WebsocketHandler([]string{"*"})) }()
	buf := make([]byte, 1)
	_, _ = os.Stdin.Read(buf)
}

// startBenchServer runs serveBench in a child process and returns its URL.
func startBenchServer(t *testing.T) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), benchServerEnv+"=1")
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = stdin.Close()
		_ = cmd.Wait()
	})
	var addr string
	_, err = fmt.Fscanln(stdout, &addr)
	require.NoError(t, err)
	return "ws://" + addr
}

// floodResult is one client's round.
type floodResult struct {
	perSec float64
	allocs float64
}

func measure(n int, run func() error) (floodResult, error) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	err := run()
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	return floodResult{
		perSec: float64(n) / elapsed.Seconds(),
		allocs: float64(after.Mallocs-before.Mallocs) / float64(n),
	}, err
}

func floodSturdy(ctx context.Context, url string, n int) (floodResult, error) {
	c, err := rpc.Start(ctx, rpc.Options{Client: client.Options{URL: url}})
	if err != nil {
		return floodResult{}, err
	}
	defer c.Close()
	if err := c.WaitConnected(ctx); err != nil {
		return floodResult{}, err
	}
	return measure(n, func() error {
		s, err := c.Subscribe(ctx, "bench_subscribe", []any{"flood", n}, rpc.SubscribeOptions{Overflow: rpc.OverflowBlock})
		if err != nil {
			return err
		}
		var e benchEvent
		for i := 1; i <= n; i++ {
			ev, err := s.Next(ctx)
			if err != nil {
				return err
			}
			if err := json.Unmarshal(ev, &e); err != nil {
				return err
			}
			if e.Number != uint64(i) {
				return fmt.Errorf("event %d, want %d", e.Number, i)
			}
		}
		return s.Unsubscribe(ctx)
	})
}

func floodGeth(ctx context.Context, url string, n int) (floodResult, error) {
	c, err := gethrpc.DialWebsocket(ctx, url, "")
	if err != nil {
		return floodResult{}, err
	}
	defer c.Close()
	return measure(n, func() error {
		ch := make(chan benchEvent, rpc.DefaultBuffer)
		sub, err := c.Subscribe(ctx, "bench", ch, "flood", n)
		if err != nil {
			return err
		}
		defer sub.Unsubscribe()
		for i := 1; i <= n; i++ {
			select {
			case e := <-ch:
				if e.Number != uint64(i) {
					return fmt.Errorf("event %d, want %d", e.Number, i)
				}
			case err := <-sub.Err():
				return err
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	})
}

// TestRPCNotificationBench prints "rpc bench: …". Under -race (as CI runs
// it) it is a short check that both clients get every event; without
// -race it reports the figures: go test -run RPCNotificationBench -v .
func TestRPCNotificationBench(t *testing.T) {
	n, rounds := 50000, 5
	if raceEnabled || testing.Short() {
		n, rounds = 2000, 1
	}
	url := startBenchServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var sturdy, geth []floodResult
	for range rounds {
		// Turns alternate, so drift on a shared machine hits both.
		s, err := floodSturdy(ctx, url, n)
		require.NoError(t, err)
		g, err := floodGeth(ctx, url, n)
		require.NoError(t, err)
		sturdy, geth = append(sturdy, s), append(geth, g)
	}
	median := func(rs []floodResult, f func(floodResult) float64) float64 {
		v := make([]float64, len(rs))
		for i, r := range rs {
			v[i] = f(r)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	rate := func(r floodResult) float64 { return r.perSec }
	allocs := func(r floodResult) float64 { return r.allocs }
	sr, gr := median(sturdy, rate), median(geth, rate)
	sa, ga := median(sturdy, allocs), median(geth, allocs)
	note := ""
	if raceEnabled {
		note = " (race detector on: a check, not a measurement)"
	}
	t.Logf("rpc bench: %d notifications x %d rounds%s: sturdy rpc %.0f/s %.1f allocs each; go-ethereum rpc %.0f/s %.1f allocs each; rate ratio %.2f, allocs ratio %.2f",
		n, rounds, note, sr, sa, gr, ga, sr/gr, sa/ga)
}
