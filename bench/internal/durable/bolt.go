package durable

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// boltFile is the store's single file in its directory.
const boltFile = "queue.db"

var boltBucket = []byte("queue")

// Bolt is the queue as a bbolt user writes it: one bucket keyed by the
// big-endian sequence number from Bucket.NextSequence (stored in the same
// transaction, so numbering survives with the data), one read-write
// transaction per push and per ack. With batch, pushes and acks go
// through db.Batch, bbolt's group commit, which merges concurrent calls
// into one transaction (at the price of waiting up to MaxBatchDelay for
// company).
func Bolt(batch bool) Store {
	name := "bbolt"
	if batch {
		name = "bbolt-batch"
	}
	open := func(dir string, o Options, each func(uint64, []byte)) (Queue, Opened, error) {
		return openBolt(dir, o, batch, each)
	}
	tail := func(dir string) (string, error) { return filepath.Join(dir, boltFile), nil }
	// bbolt locks its data file itself (flock): there is no lock file.
	return Store{Name: name, Open: open, TailFile: tail, Lock: func(string) bool { return false }}
}

type boltQueue struct {
	db     *bolt.DB
	update func(func(*bolt.Tx) error) error
	// interval: Close fsyncs, as queue.File's does under SyncInterval.
	interval bool
	stop     chan struct{}  // closed by Close: ends the Interval syncer
	synced   sync.WaitGroup // the Interval syncer
}

func openBolt(dir string, o Options, batch bool, each func(uint64, []byte)) (Queue, Opened, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, Opened{}, err
	}
	db, err := bolt.Open(filepath.Join(dir, boltFile), 0o600, &bolt.Options{Timeout: time.Second, NoSync: o.Policy != Always})
	if err != nil {
		return nil, Opened{}, err
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(boltBucket)
		if err != nil {
			return err
		}
		return b.ForEach(func(k, v []byte) error {
			if len(k) != 8 {
				return fmt.Errorf("durable: bbolt key of %d bytes", len(k))
			}
			each(binary.BigEndian.Uint64(k), v)
			return nil
		})
	})
	if err != nil {
		return nil, Opened{}, errors.Join(err, db.Close())
	}
	q := &boltQueue{db: db, update: db.Update, interval: o.Policy == Interval, stop: make(chan struct{})}
	if batch {
		q.update = db.Batch
	}
	if o.Policy == Interval {
		q.synced.Add(1)
		go q.syncEvery(o.syncEvery())
	}
	return q, Opened{}, nil
}

// syncEvery is the Interval policy: bbolt has none, so a timer fsyncs
// the file, as its documentation suggests for NoSync.
func (q *boltQueue) syncEvery(d time.Duration) {
	defer q.synced.Done()
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-q.stop:
			return
		case <-t.C:
			_ = q.db.Sync()
		}
	}
}

func (q *boltQueue) Push(p []byte) (uint64, error) {
	var seq uint64
	err := q.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(boltBucket)
		n, err := b.NextSequence()
		if err != nil {
			return err
		}
		var k [8]byte
		binary.BigEndian.PutUint64(k[:], n)
		seq = n
		return b.Put(k[:], p)
	})
	return seq, err
}

func (q *boltQueue) Ack(seq uint64) error {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], seq)
	return q.update(func(tx *bolt.Tx) error { return tx.Bucket(boltBucket).Delete(k[:]) })
}

func (q *boltQueue) Close() error {
	close(q.stop)
	q.synced.Wait()
	var err error
	if q.interval {
		err = q.db.Sync()
	}
	return errors.Join(err, q.db.Close())
}
