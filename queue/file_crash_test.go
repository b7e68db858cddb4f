package queue

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// The crash test's child is this test binary, re-executed with these
// variables set.
const (
	crashDirEnv  = "STURDY_QUEUE_CRASH_DIR"
	crashSeedEnv = "STURDY_QUEUE_CRASH_SEED"
	// crashKillsEnv overrides the number of kills, for a longer soak.
	crashKillsEnv = "STURDY_QUEUE_CRASH_KILLS"
)

// crashOptions are the child's: tiny segments, so that kills land in
// rolls, compactions and deletions as well as in plain appends.
func crashOptions() FileOptions {
	return FileOptions{Options: Options{MaxMessages: 40}, Sync: SyncAlways, SegmentBytes: 1 << 10}
}

// crashPayload is the payload of message seq, so that the parent can check
// every byte it finds without being told.
func crashPayload(seq uint64) string {
	n := int(seq * 7919 % 150)
	if seq%61 == 0 {
		// Now and then a large one, so kills land inside long writes
		// and reopening has a torn large record to get past.
		n = 64<<10 + int(seq%1000)
	}
	return strconv.FormatUint(seq, 10) + ":" + strings.Repeat("x", n)
}

// TestFileSurvivesSIGKILL runs a child process that pushes and
// acknowledges messages under SyncAlways, marks them as AtMostOnce's
// writer does, reporting each call before it
// makes it and after it returns, and kills it with SIGKILL at a random
// point, again and again on the same directory. After every kill it
// reopens the queue and requires: every message whose Push returned is
// there unless an acknowledgement of it was started; no message whose
// acknowledgement returned is; entries are in order with the right
// payloads; numbering never goes back; a message covered by a MarkSending
// that returned is InDoubt, one above every mark started is not.
func TestFileSurvivesSIGKILL(t *testing.T) {
	if dir := os.Getenv(crashDirEnv); dir != "" {
		seed, _ := strconv.ParseUint(os.Getenv(crashSeedEnv), 10, 64)
		crashChild(dir, seed)
		return
	}
	// Each kill costs a process start: about 0.1 s measured on a loaded
	// 2-core machine, five times that under -race; -short keeps CI quick.
	kills := 200
	if testing.Short() {
		kills = 25
	}
	if s := os.Getenv(crashKillsEnv); s != "" {
		var err error
		kills, err = strconv.Atoi(s)
		require.NoError(t, err)
	}
	seed := uint64(20260102)
	if s := os.Getenv(crashSeedEnv); s != "" {
		var err error
		seed, err = strconv.ParseUint(s, 10, 64)
		require.NoError(t, err)
	}
	t.Logf("seed %d (set %s to repeat), %d kills", seed, crashSeedEnv, kills)
	rng := rand.New(rand.NewPCG(seed, 1))
	dir := tmpfsDir(t)
	m := newCrashModel()
	cuts := 0
	for k := range kills {
		lines := rng.IntN(40) // 0 kills the child during OpenFile
		runCrashChild(t, dir, rng.Uint64(), lines, m)
		if rng.IntN(8) == 0 && loseTail(t, dir, rng) {
			// What a power cut does to writes the disk had not made
			// durable: the newest records are gone, as if never written.
			// Their messages are gone with them, unreported (nothing can
			// tell them from writes that never happened), but numbers
			// must not repeat.
			m.resync(t, dir, k)
			cuts++
			continue
		}
		m.check(t, dir, k)
	}
	t.Logf("%d messages pushed, %d acknowledged, %d marks; %d tails cut", m.pushes, m.acks, m.marks, cuts)
}

// runCrashChild starts a child, kills it once it has reported lines
// events, and feeds the model every event it reported before dying.
func runCrashChild(t *testing.T, dir string, seed uint64, lines int, m *crashModel) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestFileSurvivesSIGKILL$")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir, crashSeedEnv+"="+strconv.FormatUint(seed, 10))
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	sc := bufio.NewScanner(out)
	n := 0
	killed := false
	kill := func() {
		if !killed {
			killed = true
			require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		}
	}
	if lines == 0 {
		kill()
	}
	for sc.Scan() {
		m.event(t, sc.Text())
		if n++; n >= lines {
			kill()
		}
	}
	require.NoError(t, sc.Err())
	kill()
	err = cmd.Wait()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, "the child must die by the signal, not end on its own")
	ws, ok := exit.Sys().(syscall.WaitStatus)
	require.True(t, ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL, "child ended with %v", err)
}

// crashChild is the child: it opens the queue and works on it until it is
// killed. Each event is one write of one line, so a line the parent reads
// was written whole.
func crashChild(dir string, seed uint64) {
	say := func(op byte, seq uint64) {
		_, _ = os.Stdout.WriteString(string(op) + " " + strconv.FormatUint(seq, 10) + "\n")
	}
	f, err := OpenFile(dir, crashOptions())
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(3)
	}
	var held []uint64
	for e, ok := f.TryNext(); ok; e, ok = f.TryNext() {
		held = append(held, e.Seq)
	}
	next := f.Recovery().LastSeq + 1
	rng := rand.New(rand.NewPCG(seed, 2))
	for {
		switch r := rng.IntN(10); {
		case len(held) > 0 && (r < 3 || len(held) >= 40):
			i := rng.IntN(len(held))
			seq := held[i]
			say('a', seq)
			if err := f.Ack(seq); err != nil {
				fmt.Fprintln(os.Stderr, "child:", err)
				os.Exit(3)
			}
			say('A', seq)
			held = append(held[:i], held[i+1:]...)
		case len(held) > 0 && r < 4:
			i := rng.IntN(len(held))
			seq := held[i]
			say('t', seq)
			if err := f.AckThrough(seq); err != nil {
				fmt.Fprintln(os.Stderr, "child:", err)
				os.Exit(3)
			}
			say('T', seq)
			held = held[i+1:]
		case len(held) > 0 && r == 4:
			// As an AtMostOnce writer does before writing a batch.
			seq := next - 1
			say('m', seq)
			if err := f.MarkSending(seq); err != nil {
				fmt.Fprintln(os.Stderr, "child:", err)
				os.Exit(3)
			}
			say('M', seq)
		default:
			seq, err := f.Push(context.Background(), Message{Type: 1, Payload: []byte(crashPayload(next))})
			if err != nil || seq != next {
				fmt.Fprintln(os.Stderr, "child: push", seq, err)
				os.Exit(3)
			}
			say('P', seq)
			held = append(held, seq)
			next++
		}
	}
}

// crashModel is what the parent knows from the events the children
// reported.
type crashModel struct {
	pushed   map[uint64]bool // Push returned
	touched  map[uint64]bool // an Ack was started: it may or may not be logged
	acked    map[uint64]bool // Ack returned
	through  uint64          // the highest AckThrough started
	doneThru uint64          // the highest AckThrough that returned
	marking  uint64          // the highest MarkSending started
	marked   uint64          // the highest MarkSending that returned
	lastSeq  uint64
	pushes   int
	acks     int
	marks    int
}

func newCrashModel() *crashModel {
	return &crashModel{pushed: map[uint64]bool{}, touched: map[uint64]bool{}, acked: map[uint64]bool{}}
}

func (m *crashModel) event(t *testing.T, line string) {
	t.Helper()
	op, num, ok := strings.Cut(line, " ")
	require.True(t, ok, "child said %q", line)
	seq, err := strconv.ParseUint(num, 10, 64)
	require.NoError(t, err)
	switch op {
	case "P":
		require.Greater(t, seq, m.lastSeq, "numbering went back")
		m.lastSeq = seq
		m.pushed[seq] = true
		m.pushes++
	case "a":
		m.touched[seq] = true
	case "A":
		m.acked[seq] = true
		m.acks++
	case "t":
		m.through = max(m.through, seq)
	case "T":
		m.doneThru = max(m.doneThru, seq)
		m.acks++
	case "m":
		m.marking = max(m.marking, seq)
	case "M":
		m.marked = max(m.marked, seq)
		m.marks++
	default:
		t.Fatalf("child said %q", line)
	}
}

// loseTail cuts the newest segment of dir back to a random record
// boundary; false when there was nothing to cut.
func loseTail(t *testing.T, dir string, rng *rand.Rand) bool {
	t.Helper()
	names, err := segmentNames(dir)
	require.NoError(t, err)
	if len(names) == 0 {
		return false
	}
	path := filepath.Join(dir, names[len(names)-1])
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	b := recordBounds(data)
	if len(b) < 2 {
		return false
	}
	require.NoError(t, os.Truncate(path, int64(b[rng.IntN(len(b)-1)])))
	return true
}

// resync reopens the queue after its tail was cut and takes what it holds
// as the truth from now on; numbering must still never go back.
func (m *crashModel) resync(t *testing.T, dir string, k int) {
	t.Helper()
	f, err := OpenFile(dir, crashOptions())
	require.NoError(t, err, "after kill %d", k)
	defer func() { require.NoError(t, f.Close()) }()
	require.GreaterOrEqual(t, f.Recovery().LastSeq, m.lastSeq, "after kill %d and a lost tail: a number would be given out again", k)
	m.pushed, m.touched, m.acked = map[uint64]bool{}, map[uint64]bool{}, map[uint64]bool{}
	m.through, m.doneThru = 0, 0
	m.marked, m.marking = 0, m.lastSeq // marks may be lost: what is there may or may not be in doubt
	for e, ok := f.TryNext(); ok; e, ok = f.TryNext() {
		require.Equal(t, crashPayload(e.Seq), string(e.Payload), "after kill %d", k)
		m.pushed[e.Seq] = true
	}
}

// check reopens the queue after kill k and compares it with the model.
func (m *crashModel) check(t *testing.T, dir string, k int) {
	t.Helper()
	f, err := OpenFile(dir, crashOptions())
	require.NoError(t, err, "after kill %d", k)
	defer func() { require.NoError(t, f.Close()) }()
	require.GreaterOrEqual(t, f.Recovery().LastSeq, m.lastSeq, "after kill %d: numbering went back", k)
	for _, d := range f.Recovery().Damage {
		require.Equal(t, TornTail, d.Kind, "after kill %d: %v", k, d)
	}
	present := map[uint64]bool{}
	var prev uint64
	for e, ok := f.TryNext(); ok; e, ok = f.TryNext() {
		require.Greater(t, e.Seq, prev, "after kill %d: out of order", k)
		prev = e.Seq
		require.Equal(t, crashPayload(e.Seq), string(e.Payload), "after kill %d", k)
		require.False(t, m.acked[e.Seq] || e.Seq <= m.doneThru, "after kill %d: acknowledged message %d came back", k, e.Seq)
		if e.Seq <= m.marked {
			require.True(t, e.InDoubt, "after kill %d: message %d was marked, not in doubt", k, e.Seq)
		}
		if e.Seq > m.marking {
			require.False(t, e.InDoubt, "after kill %d: message %d was never marked, in doubt", k, e.Seq)
		}
		present[e.Seq] = true
	}
	for seq := range m.pushed {
		if m.touched[seq] || seq <= m.through {
			continue
		}
		require.True(t, present[seq], "after kill %d: pushed message %d is lost", k, seq)
	}
}
