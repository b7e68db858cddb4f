package durable

import (
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

// Keys: a message is 'm' and its big-endian sequence number; the
// high-water mark of numbers handed out is under 'n', written with a
// merge that keeps the largest value, so that concurrent pushes, which
// pebble may commit in any order, can never lower it.
var (
	pebbleHigh  = []byte("n")
	pebbleLower = []byte("m")
)

// smallMemTable is pebble's memtable under Options.SmallFiles: flushed
// to a table every few KiB, so a small test log spans tables as well as
// the write-ahead log.
const smallMemTable = 16 << 10

// Pebble is the queue as a pebble user writes it: one batch per push
// (the message and the high-water mark) committed with pebble.Sync or
// pebble.NoSync, one unsynced Delete per ack (see Ack). Pebble's commit
// pipeline makes concurrent synced commits share a WAL fsync by itself.
func Pebble() Store {
	return Store{Name: "pebble", Open: openPebble, TailFile: pebbleTail, Lock: func(n string) bool { return n == "LOCK" }}
}

type pebbleQueue struct {
	db   *pebble.DB
	wo   *pebble.WriteOptions
	next atomic.Uint64 // the last number handed out

	interval bool
	stop     chan struct{} // closed by Close: ends the Interval syncer
	synced   sync.WaitGroup
}

// maxMerger keeps the largest of the 8-byte big-endian values merged.
var maxMerger = &pebble.Merger{
	Name: "sturdy.durable.max",
	Merge: func(_, value []byte) (pebble.ValueMerger, error) {
		m := &maxValue{}
		return m, m.MergeNewer(value)
	},
}

type maxValue struct{ v uint64 }

func (m *maxValue) MergeNewer(value []byte) error {
	if len(value) != 8 {
		return errors.New("durable: high-water mark of the wrong size")
	}
	m.v = max(m.v, binary.BigEndian.Uint64(value))
	return nil
}

func (m *maxValue) MergeOlder(value []byte) error { return m.MergeNewer(value) }

func (m *maxValue) Finish(bool) ([]byte, io.Closer, error) {
	return binary.BigEndian.AppendUint64(nil, m.v), nil, nil
}

func openPebble(dir string, o Options, each func(uint64, []byte)) (Queue, Opened, error) {
	po := &pebble.Options{Merger: maxMerger, Logger: quietLogger{}}
	if o.SmallFiles {
		po.MemTableSize = smallMemTable
	}
	db, err := pebble.Open(dir, po)
	if err != nil {
		return nil, Opened{}, err
	}
	q := &pebbleQueue{db: db, wo: pebble.Sync, stop: make(chan struct{})}
	if o.Policy != Always {
		q.wo = pebble.NoSync
	}
	last, err := q.replay(each)
	if err != nil {
		return nil, Opened{}, errors.Join(err, db.Close())
	}
	q.next.Store(last)
	if o.Policy == Interval {
		q.interval = true
		q.synced.Add(1)
		go q.syncEvery(o.syncEvery())
	}
	return q, Opened{}, nil
}

// replay passes every message to each and returns the largest number
// ever handed out: the high-water mark or the last key, whichever is
// larger.
func (q *pebbleQueue) replay(each func(uint64, []byte)) (uint64, error) {
	var last uint64
	v, closer, err := q.db.Get(pebbleHigh)
	switch {
	case errors.Is(err, pebble.ErrNotFound):
	case err != nil:
		return 0, err
	default:
		if len(v) == 8 {
			last = binary.BigEndian.Uint64(v)
		}
		err = closer.Close()
		if len(v) != 8 {
			err = errors.New("durable: high-water mark of the wrong size")
		}
		if err != nil {
			return 0, err
		}
	}
	it, err := q.db.NewIter(&pebble.IterOptions{LowerBound: pebbleLower, UpperBound: pebbleHigh})
	if err != nil {
		return 0, err
	}
	for ok := it.First(); ok; ok = it.Next() {
		k := it.Key()
		if len(k) != 9 {
			return 0, errors.Join(errors.New("durable: pebble key of the wrong size"), it.Close())
		}
		v, err := it.ValueAndErr()
		if err != nil {
			return 0, errors.Join(err, it.Close())
		}
		seq := binary.BigEndian.Uint64(k[1:])
		last = max(last, seq)
		each(seq, v)
	}
	return last, errors.Join(it.Error(), it.Close())
}

func pebbleKey(seq uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{'m'}, seq)
}

func (q *pebbleQueue) Push(p []byte) (uint64, error) {
	seq := q.next.Add(1)
	b := q.db.NewBatch()
	_ = b.Set(pebbleKey(seq), p, nil)
	_ = b.Merge(pebbleHigh, pebbleKey(seq)[1:], nil)
	err := b.Commit(q.wo)
	return seq, errors.Join(err, b.Close())
}

// Ack is written without waiting for its fsync, whatever the policy: the
// next synced push fsyncs the log, and the delete with it. That is what
// queue.File promises for its removals (a power cut may bring an
// acknowledged message back as a duplicate, never lose a pushed one),
// so both pay the same fsyncs for the same guarantee. bbolt cannot do
// the same: its NoSync is for the whole database, not one transaction.
func (q *pebbleQueue) Ack(seq uint64) error { return q.db.Delete(pebbleKey(seq), pebble.NoSync) }

// syncEvery is the Interval policy: pebble has a byte-based background
// sync of its WAL but no timed one, so a timer commits a synced empty
// record, which fsyncs every write before it.
func (q *pebbleQueue) syncEvery(d time.Duration) {
	defer q.synced.Done()
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-q.stop:
			return
		case <-t.C:
			_ = q.db.LogData(nil, pebble.Sync)
		}
	}
}

func (q *pebbleQueue) Close() error {
	close(q.stop)
	q.synced.Wait()
	var err error
	if q.interval {
		err = q.db.LogData(nil, pebble.Sync)
	}
	return errors.Join(err, q.db.Close())
}

// quietLogger drops pebble's informational lines ("Found 0 WALs" at
// every open), which would drown the tables, and keeps the rest as
// pebble's default logger has it: errors on stderr, fatal errors exit.
type quietLogger struct{}

func (quietLogger) Infof(string, ...any) {}

func (quietLogger) Errorf(format string, args ...any) { pebble.DefaultLogger.Errorf(format, args...) }

func (quietLogger) Fatalf(format string, args ...any) { pebble.DefaultLogger.Fatalf(format, args...) }

// pebbleTail is the newest write-ahead log: pebble numbers its files
// from one counter, in fixed width, so the last .log sorts last.
func pebbleTail(dir string) (string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	var logs []string
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".log") {
			logs = append(logs, e.Name())
		}
	}
	if len(logs) == 0 {
		return "", errors.New("durable: no write-ahead log in " + dir)
	}
	slices.Sort(logs)
	return filepath.Join(dir, logs[len(logs)-1]), nil
}
