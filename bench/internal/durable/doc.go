// Package durable compares sturdy's hand-written queue log (queue.File)
// with the embedded stores an IoT developer would otherwise build a
// durable outbound queue on: go.etcd.io/bbolt and cockroachdb/pebble.
//
// Each store sits behind the same small Queue interface (push, ack,
// replay on open), written the way the store's users write it: bbolt with
// a sequence-keyed bucket and one transaction per push (and a variant
// with db.Batch, its group commit), pebble with big-endian sequence keys
// and one synced write per push (its commit pipeline groups concurrent
// syncs by itself). Four measurements run against every store:
//
//   - Throughput: push+ack pairs per second under each sync policy, with
//     one and eight senders, for 256 B and 4 KiB payloads, beside the
//     disk's own fsync rate.
//   - Reopen: a child process is killed with SIGKILL while pushing, and
//     another child times opening the store and counting what it holds;
//     also after the tail file is torn in the middle of a large record,
//     with ordinary payloads and with a repeating uint32 (the case that
//     makes a resynchronising reader slow).
//   - Damage: a reference store is damaged file by file (deleted,
//     truncated, bits flipped, a 4 KiB block zeroed) and reopened in a
//     child process; what each store detects, loses, resurrects or
//     renumbers, and whether it panics or dies, is counted.
//   - Dependency cost: the smallest program using each store (depcost/)
//     is built, and its size, modules and cgo packages counted.
//
// Whatever can crash a process (a store's panic, a fault in a memory
// map, a logger that exits) runs in a child process: the parent re-runs
// its own binary with ChildEnv set, and the child's main or TestMain
// hands over to ChildMain.
package durable
