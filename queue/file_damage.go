package queue

import "strconv"

// DamageKind says what OpenFile found wrong in a segment.
type DamageKind int

const (
	// TornTail: the last segment ends in a record that is incomplete or
	// fails its checksum, with nothing valid after it: a write cut short
	// by a crash. The bytes are truncated. The record was never reported
	// as durable (Push had not returned under SyncAlways), so nothing
	// promised is lost; under the weaker policies it may be a message
	// whose Push returned.
	TornTail DamageKind = iota + 1

	// Corrupt: a damaged stretch with valid records after it, or at the end
	// of a segment that is not the last: something changed bytes that had
	// been written whole. The records in it are lost (a lost push is a
	// lost message, a lost acknowledgement a message that comes back);
	// every valid record after it is kept. OpenFile then rewrites the log
	// without the damage, so it is reported once.
	Corrupt
)

var damageNames = [...]string{"", "TornTail", "Corrupt"}

// String returns the kind's name.
func (k DamageKind) String() string {
	if k > 0 && int(k) < len(damageNames) {
		return damageNames[k]
	}
	return "DamageKind(" + strconv.Itoa(int(k)) + ")"
}

// Damage is one damaged stretch of a segment file.
type Damage struct {
	Kind    DamageKind
	Segment string // file name within the queue's directory
	Offset  int64  // where the damage starts
	Length  int64  // bytes skipped or truncated

	// Seq is the sequence number written in the damaged record's header,
	// 0 when too little of it was left to read. The damage may have hit
	// that field too: After and Before bound it from the records around.
	Seq uint64

	// After is the sequence number of the last valid record before the
	// damage in the log, Before that of the first valid one after it
	// (0: none). For a lost push, the lost message lies between them.
	After, Before uint64
}

// String describes the damage in one line.
func (d Damage) String() string {
	return "queue: " + d.Kind.String() + " in " + d.Segment +
		" at offset " + strconv.FormatInt(d.Offset, 10) +
		" (" + strconv.FormatInt(d.Length, 10) + " bytes, record seq " +
		strconv.FormatUint(d.Seq, 10) + ", between seq " +
		strconv.FormatUint(d.After, 10) + " and " + strconv.FormatUint(d.Before, 10) + ")"
}

// Recovery is what OpenFile found in the directory.
type Recovery struct {
	Segments int    // segment files read
	Records  int    // valid records read
	Entries  int    // unacknowledged messages restored, ready to replay
	LastSeq  uint64 // the last sequence number given out before; Push continues after it

	// Damage lists every damaged stretch, in log order; empty after a
	// clean shutdown or a crash between writes.
	Damage []Damage

	// Overflow counts the oldest entries dropped because the log held
	// more than the limits now configured allow (the limits were lowered
	// between runs); each was reported to OnDrop as ReasonOverflowOldest.
	Overflow int
}
