package interop

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sturdyws/sturdy/client"
	"github.com/sturdyws/sturdy/queue"
	"github.com/sturdyws/sturdy/transport"
	"github.com/sturdyws/sturdy/wstest"
)

// The crash test's child is this test binary, re-executed with these set.
const (
	inDoubtDirEnv  = "STURDY_INDOUBT_DIR"
	inDoubtAddrEnv = "STURDY_INDOUBT_ADDR"
	inDoubtFromEnv = "STURDY_INDOUBT_FROM"
)

// inDoubtBatch is how many messages each child sends.
const inDoubtBatch = 5

// TestAtMostOnceAcrossSIGKILL: "a message is never sent twice" holds across
// process restarts. A child process sends orders at most once through a
// durable queue to a server that reads them but never answers the
// confirmation pings, and is killed with SIGKILL at a seeded point: before
// the server has read anything, or after it has read k of the batch. The
// parent then opens the same directory with a new Client against a server
// that answers. Every order the first server read must not reach the
// second (it was written, never confirmed: reported Unconfirmed with
// ErrInDoubt); every order is accounted for exactly once, delivered or
// reported; and this holds kill after kill on one directory.
func TestAtMostOnceAcrossSIGKILL(t *testing.T) {
	if dir := os.Getenv(inDoubtDirEnv); dir != "" {
		inDoubtChild(dir)
		return
	}
	dir := t.TempDir()
	seed := uint64(20261207)
	rng := rand.New(rand.NewPCG(seed, 3))
	const kills = 8
	t.Logf("seed %d, %d kills", seed, kills)
	inDoubtTotal, deliveredTotal := 0, 0
	for k := range kills {
		from := uint64(k*inDoubtBatch + 1)
		readBeforeKill := rng.IntN(inDoubtBatch + 1)
		first := runInDoubtChild(t, dir, from, readBeforeKill)

		// The restart: a new process would do exactly this.
		srv := wstest.Start(t, wstest.Options{})
		var mu sync.Mutex
		var dead []client.DeadLetter
		q, err := queue.OpenFile(dir, queue.FileOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		c, err := client.Start(ctx, client.Options{
			URL: srv.URL(), Queue: q, Backoff: fastBackoff(), Dial: transport.DialOptions{Proxy: noProxy},
			OnDeadLetter: func(d client.DeadLetter) { mu.Lock(); dead = append(dead, d); mu.Unlock() },
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Flush(ctx); err != nil {
			t.Fatalf("kill %d: Flush: %v", k, err)
		}
		if err := c.Close(); err != nil {
			t.Fatalf("kill %d: Close: %v", k, err)
		}
		cancel()
		second := map[string]int{}
		for _, m := range srv.Received() {
			second[string(m.Data)]++
		}
		srv.Close()
		mu.Lock()
		reported := map[string]client.DeadLetter{}
		for _, d := range dead {
			reported[string(d.Payload)] = d
		}
		mu.Unlock()

		for n := from; n < from+inDoubtBatch; n++ {
			order := inDoubtOrder(n)
			if first[order] {
				d, ok := reported[order]
				switch {
				case second[order] > 0:
					t.Errorf("kill %d: %s was read before the kill and sent again after it", k, order)
				case !ok || d.Reason != client.ReasonUnconfirmed || !errors.Is(d.Err, client.ErrInDoubt):
					t.Errorf("kill %d: %s was read before the kill but not reported in doubt (%+v)", k, order, d)
				}
				inDoubtTotal++
				continue
			}
			fates := 0
			if second[order] > 1 {
				t.Errorf("kill %d: %s read %d times after the restart", k, order, second[order])
			}
			if second[order] == 1 {
				fates++
				deliveredTotal++
			}
			if _, ok := reported[order]; ok {
				fates++
				inDoubtTotal++
			}
			if fates != 1 {
				t.Errorf("kill %d: %s delivered %d times and reported %v: want exactly one fate", k, order, second[order], reported[order].Reason)
			}
		}
	}
	t.Logf("%d orders read before a kill or marked in doubt and reported, %d delivered after a restart, 0 sent twice", inDoubtTotal, deliveredTotal)
}

// inDoubtOrder is order n's payload.
func inDoubtOrder(n uint64) string { return "order " + strconv.FormatUint(n, 10) }

// runInDoubtChild starts a child that sends orders from..from+4 to a server
// that never confirms, kills it with SIGKILL once the server has read
// readBeforeKill of them (0: once the child has queued them all), and
// returns the orders the server read.
func runInDoubtChild(t *testing.T, dir string, from uint64, readBeforeKill int) map[string]bool {
	t.Helper()
	addr, got := noPongServer(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestAtMostOnceAcrossSIGKILL$")
	cmd.Env = append(os.Environ(), inDoubtDirEnv+"="+dir, inDoubtAddrEnv+"="+addr,
		inDoubtFromEnv+"="+strconv.FormatUint(from, 10))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	read := map[string]bool{}
	lines := bufio.NewScanner(out)
	queued := false
	timeout := time.After(20 * time.Second)
	for len(read) < readBeforeKill || !queued {
		if !queued {
			if !lines.Scan() {
				t.Fatalf("the child ended before queueing its orders: %v", lines.Err())
			}
			queued = lines.Text() == "queued"
			continue
		}
		select {
		case p := <-got:
			read[string(p)] = true
		case <-timeout:
			t.Fatalf("the server read %d of %d orders", len(read), readBeforeKill)
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	// Orders that crossed the socket before the kill are the server's too.
	for {
		select {
		case p := <-got:
			read[string(p)] = true
			continue
		default:
		}
		break
	}
	return read
}

// inDoubtChild is the child: it sends its orders at most once through the
// durable queue in dir, says so, and waits to be killed.
func inDoubtChild(dir string) {
	from, _ := strconv.ParseUint(os.Getenv(inDoubtFromEnv), 10, 64)
	q, err := queue.OpenFile(dir, queue.FileOptions{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(2)
	}
	c, err := client.Start(context.Background(), client.Options{
		URL:              "ws://" + os.Getenv(inDoubtAddrEnv) + "/",
		Queue:            q,
		DisableHeartbeat: true, // the server never answers pings
		Dial:             transport.DialOptions{Proxy: noProxy},
		OnDeadLetter:     func(client.DeadLetter) {},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(2)
	}
	for n := from; n < from+inDoubtBatch; n++ {
		if _, err := c.Send(context.Background(), transport.MessageText, []byte(inDoubtOrder(n))); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(2)
		}
	}
	fmt.Println("queued")
	<-time.After(time.Hour) // SIGKILL comes first
}
