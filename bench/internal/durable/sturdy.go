package durable

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/sturdyws/sturdy/queue"
)

// smallSegment is queue.File's segment size under Options.SmallFiles.
const smallSegment = 4 << 10

// Sturdy is sturdy's own queue.File, with limits high enough that no
// measurement is ever refused for size.
func Sturdy() Store {
	return Store{Name: "sturdy", Open: openSturdy, TailFile: sturdyTail, Lock: func(n string) bool { return n == "LOCK" }}
}

type sturdyQueue struct{ f *queue.File }

func openSturdy(dir string, o Options, each func(uint64, []byte)) (Queue, Opened, error) {
	fo := queue.FileOptions{
		Options:   queue.Options{MaxMessages: 1 << 30, MaxBytes: 1 << 40},
		Sync:      [...]queue.SyncPolicy{queue.SyncAlways, queue.SyncInterval, queue.SyncNever}[o.Policy],
		SyncEvery: o.syncEvery(),
	}
	if o.SmallFiles {
		fo.SegmentBytes = smallSegment
	}
	f, err := queue.OpenFile(dir, fo)
	if err != nil {
		return nil, Opened{}, err
	}
	var got Opened
	for _, d := range f.Recovery().Damage {
		got.Damage = append(got.Damage, d.String())
	}
	// Replay is what the writer does after a restart: take every entry,
	// then Rewind so that they are all pending again.
	for {
		e, ok := f.TryNext()
		if !ok {
			break
		}
		each(e.Seq, e.Payload)
	}
	f.Rewind()
	return sturdyQueue{f}, got, nil
}

func (q sturdyQueue) Push(p []byte) (uint64, error) {
	return q.f.Push(context.Background(), queue.Message{Type: 2, Payload: p})
}

func (q sturdyQueue) Ack(seq uint64) error { return q.f.Ack(seq) }
func (q sturdyQueue) Close() error         { return q.f.Close() }

// sturdyTail is the newest segment: segments are named by their number
// in fixed-width hex, so the last name sorts last. A layout without .seg
// files (a later format) falls back to the data file written last.
func sturdyTail(dir string) (string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	var segs []string
	var newest string
	var newestAt time.Time
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".seg") {
			segs = append(segs, e.Name())
		}
		info, err := e.Info()
		if err != nil || !info.Mode().IsRegular() || e.Name() == "LOCK" {
			continue
		}
		if newest == "" || info.ModTime().After(newestAt) {
			newest, newestAt = e.Name(), info.ModTime()
		}
	}
	if len(segs) > 0 {
		slices.Sort(segs)
		newest = segs[len(segs)-1]
	}
	if newest == "" {
		return "", errors.New("durable: no data file in " + dir)
	}
	return filepath.Join(dir, newest), nil
}
