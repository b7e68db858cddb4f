// Command iot is a telemetry agent that must not lose a reading: it takes
// readings from a (simulated) sensor and sends them over a sturdy client
// whose outbound queue is a durable queue.File, so readings taken while the
// uplink is down wait on disk, survive the agent being killed and
// restarted, and are delivered, in order, once the server is back.
//
// Without -url it embeds a server (wstest) that acknowledges each reading
// with {"ack":N}; the agent acknowledges its queue from those (at-least-once
// delivery), and at the end checks that the server received every reading,
// from the oldest one the queue held at start, in order.
//
// The story in three runs:
//
//	go run ./examples/iot -dir /tmp/iot -offline -crash   # uplink down; readings queued, then the agent "crashes"
//	go run ./examples/iot -dir /tmp/iot -offline -crash   # restarted, still offline: more readings, crash again
//	go run ./examples/iot -dir /tmp/iot                   # uplink up: every reading of all three runs delivered
//
// Without -dir, the queue goes in a new temporary directory, printed at
// the start: kept after a crash (pass it as -dir to carry on) and removed
// once every reading is delivered, so `go run ./examples/iot` leaves
// nothing behind.
//
// -offline keeps the embedded server unreachable (connection refused)
// while readings are taken; -crash makes the agent exit at once after
// queueing them, running no Close, as a kill or a power cut would.
// -max-queued bounds the readings kept while the uplink is down: beyond it
// the oldest are dropped, each one reported, and the count of them printed
// at the end.
package main
