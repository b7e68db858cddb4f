package durable

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Reopen is one measured reopening of a store after a crash or a tear.
type Reopen struct {
	Store    string
	Scenario string
	// Pushed is how many pushes the killed child saw return; Entries how
	// many messages the reopened store held; Bad how many of those failed
	// their checksum.
	Pushed  int
	Entries int
	Bad     int
	Open    time.Duration // opening and replaying, in the reopening child
	Damage  []string      // what the store reported
	Err     string        // the error opening returned, or how the child died
}

// Lost is how many pushes that returned were missing after reopening.
func (r Reopen) Lost() int { return max(0, r.Pushed-(r.Entries-r.Bad)) }

// CrashReopen starts a child pushing payload-byte messages into a fresh
// store in dir under policy p, without acks, kills it with SIGKILL once
// at least count pushes have returned, so that the kill lands in the
// middle of a later push, then times another child opening the store and
// counting its messages. A store that writes to the kernel before a push
// returns loses nothing to a killed process, whatever its policy.
func CrashReopen(s Store, dir string, p Policy, payload, count int) (Reopen, error) {
	r := Reopen{Store: s.Name, Scenario: fmt.Sprintf("kill -9 after %d × %s, %s", count, sizeName(payload), p)}
	progress := max(1, count/20)
	c, err := startChild(job{Op: opFill, Store: s.Name, Dir: dir, Opts: Options{Policy: p}, Payload: payload, Progress: progress})
	if err != nil {
		return r, err
	}
	killed := false
	_, werr := c.wait(func(line string) {
		n, err := strconv.Atoi(strings.TrimPrefix(line, "pushed "))
		if err != nil || killed {
			return
		}
		r.Pushed = n
		if n >= count {
			killed = true
			_ = c.kill()
		}
	})
	if !killed {
		return r, fmt.Errorf("durable: %s child ended before %d pushes: %v", s.Name, count, werr)
	}
	return r, reopen(s, dir, &r)
}

// reopen times a child opening the store in dir and fills in r.
func reopen(s Store, dir string, r *Reopen) error {
	res, err := runChild(job{Op: opOpen, Store: s.Name, Dir: dir})
	if err != nil {
		var crash *CrashError
		if !errors.As(err, &crash) {
			return err
		}
		r.Err = err.Error()
	}
	r.Entries, r.Bad, r.Open, r.Damage = res.Entries, res.Bad, time.Duration(res.OpenNS), res.Damage
	switch {
	case res.Panic != "":
		r.Err = "panic: " + res.Panic
	case res.Err != "":
		r.Err = res.Err
	}
	return nil
}

// Tear is how TornReopen damages a store.
type Tear struct {
	Payload, Count int  // records written, of Payload bytes
	Pattern        bool // payloads of a repeating uint32 (MakePatternPayload)
	Cut            int  // bytes from the end of the tail file
	Flip           bool // invert the byte there instead of cutting
}

// TornReopen writes t.Count records into a fresh store in dir and closes
// it cleanly, then damages the store's tail file as a crash in the
// middle of writing the last record would: without Flip, the file loses
// its last Cut bytes; with Flip, it keeps its length and the byte Cut
// bytes before its end is inverted (a sector that never reached the
// disk). It then times a child reopening it.
func TornReopen(s Store, dir string, t Tear) (Reopen, error) {
	how := "cut " + sizeName(t.Cut) + " short"
	if t.Flip {
		how = "one byte flipped " + sizeName(t.Cut) + " before the end"
	}
	what := ""
	if t.Pattern {
		what = " of a repeating uint32"
	}
	r := Reopen{Store: s.Name, Scenario: fmt.Sprintf("%d × %s%s, tail %s", t.Count, sizeName(t.Payload), what, how)}
	res, err := runChild(job{Op: opFill, Store: s.Name, Dir: dir, Opts: Options{Policy: Never}, Payload: t.Payload, Pattern: t.Pattern, Count: t.Count})
	if err == nil && res.Err != "" {
		err = fmt.Errorf("durable: filling %s: %s", s.Name, res.Err)
	}
	if err != nil {
		return r, err
	}
	r.Pushed = len(res.Pushed)
	tail, err := s.TailFile(dir)
	if err != nil {
		return r, err
	}
	if err := tear(tail, t.Cut, t.Flip); err != nil {
		return r, err
	}
	return r, reopen(s, dir, &r)
}

// tear cuts the last cut bytes off the file, or inverts the byte cut
// bytes before its end.
func tear(path string, cut int, flip bool) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	at := max(0, st.Size()-int64(cut))
	if !flip {
		return os.Truncate(path, at)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	var b [1]byte
	if _, err = f.ReadAt(b[:], at); err == nil {
		b[0] = ^b[0]
		_, err = f.WriteAt(b[:], at)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// sizeName writes a byte count as people do: 256 B, 4 KiB, 4 MiB.
func sizeName(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.Itoa(n>>20) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.Itoa(n>>10) + " KiB"
	}
	return strconv.Itoa(n) + " B"
}
