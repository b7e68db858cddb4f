package durable

import (
	"fmt"
	"time"
)

// Queue is the durable FIFO queue the comparison drives: what an
// outbound-message agent needs from its store.
type Queue interface {
	// Push stores payload under a new sequence number, as durably as the
	// Options' Policy says, and returns the number.
	Push(payload []byte) (seq uint64, err error)
	// Ack deletes the message with number seq.
	Ack(seq uint64) error
	// Close syncs what the policy says and releases the store.
	Close() error
}

// Policy is when a store forces its writes to stable storage.
type Policy int

const (
	// Always: a push is fsynced before Push returns (SyncAlways; bbolt's
	// default; pebble.Sync).
	Always Policy = iota
	// Interval: writes go to the kernel at once and are fsynced every
	// Options.SyncEvery (SyncInterval; bbolt NoSync plus a timer calling
	// db.Sync; pebble.NoSync plus a timer logging a synced empty record).
	Interval
	// Never: writes go to the kernel and are never forced (SyncNever;
	// bbolt NoSync; pebble.NoSync).
	Never
)

// Policies lists every Policy, in order.
var Policies = []Policy{Always, Interval, Never}

var policyNames = [...]string{"always", "interval", "never"}

// String returns the policy's short name.
func (p Policy) String() string {
	if p >= 0 && int(p) < len(policyNames) {
		return policyNames[p]
	}
	return fmt.Sprintf("Policy(%d)", int(p))
}

// DefaultSyncEvery is the fsync period of Interval when Options.SyncEvery
// is zero: queue.File's own default.
const DefaultSyncEvery = 100 * time.Millisecond

// Options configure one opening of a store. The zero value is ready to
// use: Always, with the stores' default file sizes.
type Options struct {
	// Policy is when writes are fsynced. Default Always.
	Policy Policy
	// SyncEvery is the period of Interval. Zero means DefaultSyncEvery.
	SyncEvery time.Duration
	// SmallFiles makes the stores that split their data across files
	// (queue.File's segments, pebble's memtables and tables) do so after
	// a few KiB, so a small test log spans as many files as a long-running
	// one. bbolt has a single file whatever its size.
	SmallFiles bool
}

func (o Options) syncEvery() time.Duration {
	if o.SyncEvery <= 0 {
		return DefaultSyncEvery
	}
	return o.SyncEvery
}

// Opened is what opening a store found.
type Opened struct {
	// Damage is what the store itself reported about damage it met and
	// recovered from while opening (only queue.File has such a report).
	Damage []string
}

// Store is one implementation of Queue.
type Store struct {
	// Name identifies the store in flags and tables.
	Name string
	// Open opens or creates the queue in dir and passes every message it
	// holds to each, oldest first, before returning. The payload is valid
	// only during the call.
	Open func(dir string, o Options, each func(seq uint64, payload []byte)) (Queue, Opened, error)
	// TailFile names the file of dir that the newest write went to: where
	// a write torn by a crash would be.
	TailFile func(dir string) (string, error)
	// Lock reports whether a file is the store's lock file, which damage
	// leaves alone (it holds no data).
	Lock func(name string) bool
}

// Stores returns every store compared, sturdy's first.
func Stores() []Store {
	return []Store{Sturdy(), Bolt(false), Bolt(true), Pebble()}
}

// StoreByName returns the store called name.
func StoreByName(name string) (Store, error) {
	for _, s := range Stores() {
		if s.Name == name {
			return s, nil
		}
	}
	return Store{}, fmt.Errorf("durable: no store %q", name)
}
