package fleet

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"
)

// closeLimit bounds how long the members' goroutines may take to end
// after close.
const closeLimit = time.Minute

// process is the client process's state: one fleet at a time.
type process struct {
	out  io.Writer
	f    *fleet
	base snapshot
}

// ClientMain runs the client process until in closes: it says "ready",
// then executes the commands read from in (see the package doc). A fleet
// still up when in closes is closed.
func ClientMain(in io.Reader, out io.Writer) error {
	c := &process{out: out}
	c.reply("ready")
	cmds := bufio.NewScanner(in)
	for cmds.Scan() {
		line, err := c.command(cmds.Text())
		if err != nil {
			line = "error " + err.Error()
		}
		c.reply(line)
	}
	var err error
	if c.f != nil {
		err = c.f.close()
	}
	return errors.Join(err, cmds.Err())
}

func (c *process) reply(line string) { _, _ = io.WriteString(c.out, line+"\n") }

// answer renders v as "word JSON".
func answer(word string, v any) (string, error) {
	b, err := json.Marshal(v)
	return word + " " + string(b), err
}

// errNoFleet reports a command that needs a fleet before "dial".
var errNoFleet = errors.New("no fleet: dial first")

// command executes one line and returns the answer.
func (c *process) command(line string) (string, error) {
	word, arg, _ := strings.Cut(line, " ")
	if word != "dial" && c.f == nil {
		return "", errNoFleet
	}
	switch word {
	case "dial":
		var set Settings
		if err := json.Unmarshal([]byte(arg), &set); err != nil {
			return "", err
		}
		return c.dial(set)
	case "measure":
		window, count, err := measureArgs(arg)
		if err != nil {
			return "", err
		}
		if c.f.set.Profile == "" {
			return answer("idle", measureIdle(c.base, c.f.set.N, window, count, nil))
		}
		idle, err := profileIdle(c.f.set.Profile, func(around func() func()) Idle {
			return measureIdle(c.base, c.f.set.N, window, count, around)
		})
		if err != nil {
			return "", err
		}
		return answer("idle", idle)
	case "arm":
		c.f.arm()
		return "ok", nil
	case "attempts":
		return answer("attempts", c.f.attempts())
	case "close":
		err := c.f.close()
		c.f = nil
		ctx, cancel := context.WithTimeout(context.Background(), closeLimit)
		defer cancel()
		if err := errors.Join(err, waitGoroutines(ctx, c.base.goroutines)); err != nil {
			return "", err
		}
		return "closed", nil
	}
	return "", fmt.Errorf("unknown command %q", word)
}

// measureArgs parses "MS [K]": K windows (default 1) of MS milliseconds.
func measureArgs(arg string) (window time.Duration, count int, err error) {
	f := strings.Fields(arg)
	if len(f) < 1 || len(f) > 2 {
		return 0, 0, fmt.Errorf("measure %q: want MS [K]", arg)
	}
	ms, err := strconv.Atoi(f[0])
	if err != nil {
		return 0, 0, err
	}
	count = 1
	if len(f) == 2 {
		if count, err = strconv.Atoi(f[1]); err != nil {
			return 0, 0, err
		}
	}
	if ms <= 0 || count <= 0 {
		return 0, 0, fmt.Errorf("measure %q: window and count must be positive", arg)
	}
	return time.Duration(ms) * time.Millisecond, count, nil
}

// dial prepares the fleet, takes the baseline and starts every member.
func (c *process) dial(set Settings) (string, error) {
	if c.f != nil {
		return "", errors.New("a fleet is up already")
	}
	if set.N <= 0 {
		return "", fmt.Errorf("fleet of %d members", set.N)
	}
	c.f = prepare(set)
	c.base = take()
	t0 := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), connectLimit(set.N))
	defer cancel()
	if err := c.f.start(ctx); err != nil {
		err = errors.Join(err, c.f.close())
		c.f = nil
		return "", err
	}
	up := Up{Connect: time.Since(t0), GoroutinesPer: float64(runtime.NumGoroutine()-c.base.goroutines) / float64(set.N)}
	return answer("up", up)
}

// connectLimit bounds the burst connect of n members: generous, since
// the listen queue overflows and the kernel retries SYNs after 1, 3, 7 s.
func connectLimit(n int) time.Duration { return time.Minute + time.Duration(n)*time.Millisecond }

// profileIdle runs measure with a CPU profile of its window written to
// prefix-cpu.prof, then writes the heap profile to prefix-heap.prof.
func profileIdle(prefix string, measure func(around func() func()) Idle) (Idle, error) {
	cpu, err := os.Create(prefix + "-cpu.prof")
	if err != nil {
		return Idle{}, err
	}
	var perr error
	idle := measure(func() func() {
		if perr = pprof.StartCPUProfile(cpu); perr != nil {
			return func() {}
		}
		return pprof.StopCPUProfile
	})
	heap, err := os.Create(prefix + "-heap.prof")
	if err == nil {
		err = pprof.WriteHeapProfile(heap) // the GC measure ran is its last
		err = errors.Join(err, heap.Close())
	}
	return idle, errors.Join(perr, err, cpu.Close())
}
