package durable

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime/debug"
	"strings"
	"syscall"
	"time"
)

// ChildEnv is the environment variable that makes a process a child of
// this package: its main (or TestMain) must call ChildMain and exit with
// what it returns, before doing anything else.
const ChildEnv = "STURDY_DURABLE_CHILD"

// IsChild reports whether this process was started as a child.
func IsChild() bool { return os.Getenv(ChildEnv) != "" }

// job is what a child is asked to do, passed as JSON in ChildEnv.
type job struct {
	Op    string // opFill or opOpen
	Store string
	Dir   string
	Opts  Options

	// Fill: push Count messages of Payload bytes (0: until killed),
	// acknowledging every AckEvery-th (0: none) and the first AckFirst,
	// and print a progress line every Progress pushes (0: never).
	Payload  int
	Pattern  bool // MakePatternPayload instead of MakePayload
	Count    int
	AckEvery int
	AckFirst int
	Progress int

	// Open: List asks for every entry's number and index in the result;
	// Push asks for one push after opening, to see the next number.
	List bool
	Push bool
}

const (
	opFill = "fill"
	opOpen = "open"
)

// Item is one message read back: its number and the index its payload
// says it was made for.
type Item struct{ Seq, Index uint64 }

// childResult is the child's last line of output, as JSON.
type childResult struct {
	// Open: whether the store opened, how long opening and replaying
	// took, what was replayed.
	Opened  bool
	OpenNS  int64
	Entries int
	Bad     int // payloads failing their checksum
	Items   []Item
	Damage  []string
	NextSeq uint64 // the number of the push after opening, with Push

	// Fill: every push (number and index) and every number acknowledged.
	Pushed []Item
	Acked  []uint64

	Err   string // an error the store returned
	Panic string // a panic the child recovered
}

// ChildMain runs the job in ChildEnv, writes its result to stdout and
// returns the exit code.
func ChildMain() int {
	var j job
	if err := json.Unmarshal([]byte(os.Getenv(ChildEnv)), &j); err != nil {
		fmt.Fprintln(os.Stderr, "durable child:", err)
		return 2
	}
	out := bufio.NewWriter(os.Stdout)
	r := runJob(j, out)
	line, _ := json.Marshal(r)
	fmt.Fprintf(out, "result %s\n", line)
	if err := out.Flush(); err != nil {
		return 1
	}
	return 0
}

// runJob runs j, turning a panic, and a fault in a store's memory map,
// into a result instead of a dead process.
func runJob(j job, out *bufio.Writer) (r childResult) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if p := recover(); p != nil {
			r.Panic = firstLine(fmt.Sprint(p))
		}
	}()
	s, err := StoreByName(j.Store)
	if err != nil {
		r.Err = err.Error()
		return r
	}
	switch j.Op {
	case opFill:
		fill(s, j, out, &r)
	case opOpen:
		openAndCount(s, j, &r)
	default:
		r.Err = "unknown op " + j.Op
	}
	return r
}

func fill(s Store, j job, out *bufio.Writer, r *childResult) {
	q, _, err := s.Open(j.Dir, j.Opts, func(uint64, []byte) {})
	if err != nil {
		r.Err = err.Error()
		return
	}
	buf := make([]byte, max(j.Payload, MinPayload))
	mk := MakePayload
	if j.Pattern {
		mk = MakePatternPayload
	}
	for i := 0; j.Count == 0 || i < j.Count; i++ {
		seq, err := q.Push(mk(buf, uint64(i)))
		if err != nil {
			r.Err = err.Error()
			break
		}
		r.Pushed = append(r.Pushed, Item{Seq: seq, Index: uint64(i)})
		if i < j.AckFirst || (j.AckEvery > 0 && i%j.AckEvery == j.AckEvery-1) {
			if err := q.Ack(seq); err != nil {
				r.Err = err.Error()
				break
			}
			r.Acked = append(r.Acked, seq)
		}
		if j.Progress > 0 && (i+1)%j.Progress == 0 {
			// One write per line, flushed: a line the parent reads is a
			// push that returned.
			fmt.Fprintf(out, "pushed %d\n", i+1)
			if out.Flush() != nil {
				break
			}
		}
	}
	if j.Count == 0 {
		// Pushing until killed: a big result would only be cut off.
		r.Pushed, r.Acked = nil, nil
	}
	if err := q.Close(); err != nil && r.Err == "" {
		r.Err = err.Error()
	}
}

func openAndCount(s Store, j job, r *childResult) {
	start := time.Now()
	q, opened, err := s.Open(j.Dir, j.Opts, func(seq uint64, p []byte) {
		r.Entries++
		idx, ok := CheckPayload(p)
		if !ok {
			r.Bad++
		}
		if j.List {
			r.Items = append(r.Items, Item{Seq: seq, Index: idx})
		}
	})
	r.OpenNS = time.Since(start).Nanoseconds()
	if err != nil {
		r.Err = firstLine(err.Error())
		return
	}
	r.Opened = true
	r.Damage = opened.Damage
	if j.Push {
		seq, err := q.Push(MakePayload(make([]byte, MinPayload), 1<<62))
		if err != nil {
			r.Err = firstLine(err.Error())
		}
		r.NextSeq = seq
	}
	if err := q.Close(); err != nil && r.Err == "" {
		r.Err = firstLine(err.Error())
	}
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// child is a started child process.
type child struct {
	cmd    *exec.Cmd
	out    io.ReadCloser
	lines  *bufio.Scanner
	stderr bytes.Buffer
}

// startChild starts this binary as a child running j.
func startChild(j job) (*child, error) {
	spec, err := json.Marshal(j)
	if err != nil {
		return nil, err
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	c := &child{cmd: exec.Command(exe)}
	c.cmd.Env = append(os.Environ(), ChildEnv+"="+string(spec))
	c.cmd.Stderr = &c.stderr
	if c.out, err = c.cmd.StdoutPipe(); err != nil {
		return nil, err
	}
	c.lines = bufio.NewScanner(c.out)
	c.lines.Buffer(nil, 64<<20)
	return c, c.cmd.Start()
}

// CrashError is a child's death without a result: a panic in a
// goroutine it could not recover, a fatal fault, or a store's logger that
// exits the process.
type CrashError struct {
	Exit   string // how the process ended
	Stderr string // the first line of what it printed there
}

func (e *CrashError) Error() string {
	return "durable: child died (" + e.Exit + "): " + e.Stderr
}

// wait reads the child's output to its end and returns its result.
// Progress lines go to progress (which may be nil).
func (c *child) wait(progress func(line string)) (childResult, error) {
	var r childResult
	got := false
	for c.lines.Scan() {
		line := c.lines.Text()
		if rest, ok := strings.CutPrefix(line, "result "); ok {
			if err := json.Unmarshal([]byte(rest), &r); err != nil {
				return r, err
			}
			got = true
			continue
		}
		if progress != nil {
			progress(line)
		}
	}
	// Whatever is left unread (after a kill) must not block Wait.
	_, _ = io.Copy(io.Discard, c.out)
	err := c.cmd.Wait()
	if got && err == nil {
		return r, nil
	}
	exit := "no result"
	if err != nil {
		exit = err.Error()
	}
	return r, &CrashError{Exit: exit, Stderr: firstCrashLine(c.stderr.String())}
}

// firstCrashLine picks the line of a dead child's stderr that says why.
func firstCrashLine(s string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, "panic:") || strings.HasPrefix(l, "fatal error:") || strings.Contains(l, "FATAL") {
			return l
		}
	}
	return firstLine(strings.TrimSpace(s))
}

// kill sends SIGKILL: the crash the comparison is about.
func (c *child) kill() error { return c.cmd.Process.Signal(syscall.SIGKILL) }

// runChild runs j in a child to its end.
func runChild(j job) (childResult, error) {
	c, err := startChild(j)
	if err != nil {
		return childResult{}, err
	}
	return c.wait(nil)
}
