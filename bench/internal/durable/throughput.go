package durable

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Case is one cell of the throughput matrix.
type Case struct {
	Store   string
	Policy  Policy
	Senders int
	Payload int // bytes
}

// Rate is a measured cell: Pairs push+ack pairs in Seconds.
type Rate struct {
	Case
	Round   int // of the run, from 0
	Pairs   int
	Seconds float64
}

// PerSec is pairs per second.
func (r Rate) PerSec() float64 {
	if r.Seconds <= 0 {
		return 0
	}
	return float64(r.Pairs) / r.Seconds
}

// Throughput opens a fresh store in dir and runs c.Senders goroutines,
// each pushing a message and acknowledging it, again and again, for d.
// That is the steady state of an agent whose server keeps up: every
// message is written, synced as the policy says, then deleted.
func Throughput(s Store, c Case, dir string, d time.Duration) (Rate, error) {
	q, _, err := s.Open(dir, Options{Policy: c.Policy}, func(uint64, []byte) {})
	if err != nil {
		return Rate{}, err
	}
	pairs := make([]int, c.Senders)
	errs := make([]error, c.Senders)
	var wg sync.WaitGroup
	start := time.Now()
	end := start.Add(d)
	for g := range c.Senders {
		wg.Go(func() {
			buf := make([]byte, max(c.Payload, MinPayload))
			for i := uint64(0); i == 0 || time.Now().Before(end); i++ { // at least one pair each
				seq, err := q.Push(MakePayload(buf, i))
				if err == nil {
					err = q.Ack(seq)
				}
				if err != nil {
					errs[g] = err
					return
				}
				pairs[g]++
			}
		})
	}
	wg.Wait()
	r := Rate{Case: c, Seconds: time.Since(start).Seconds()}
	for _, n := range pairs {
		r.Pairs += n
	}
	return r, errors.Join(errors.Join(errs...), q.Close())
}

// FsyncRate is the disk's own pace: how many times per second one
// goroutine can append size bytes to a file in dir and fsync it, for d.
// A store that fsyncs once per message cannot beat it; one that shares
// fsyncs between senders can.
func FsyncRate(dir string, size int, d time.Duration) (float64, error) {
	f, err := os.OpenFile(filepath.Join(dir, "fsync.probe"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return 0, err
	}
	buf := make([]byte, size)
	n := 0
	start := time.Now()
	for time.Since(start) < d {
		if _, err = f.Write(buf); err != nil {
			break
		}
		if err = f.Sync(); err != nil {
			break
		}
		n++
	}
	rate := float64(n) / time.Since(start).Seconds()
	return rate, errors.Join(err, f.Close(), os.Remove(f.Name()))
}
