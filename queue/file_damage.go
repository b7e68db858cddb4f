package queue

import "strconv"

// DamageKind says what OpenFile found wrong in a segment.
type DamageKind int

const (
	// TornTail: the last segment ends in a record cut short (a header
	// cut short, or a verified header whose payload is cut short) or in
	// zeros: a write cut short by a crash. The bytes are truncated. A
	// complete record that fails its checksum is Corrupt, not TornTail.
	// The record was never reported as durable (Push had not returned
	// under SyncAlways), so nothing promised is lost; under the weaker
	// policies it may be a message whose Push returned.
	TornTail DamageKind = iota + 1

	// Corrupt: something changed bytes that had been written whole: a
	// record whose checksum fails (Seq is its number when its header still
	// verifies), records out of order, a segment header that fails, or a
	// damaged stretch at the end of a segment that is not the last. The
	// records in it are lost (a lost push is a lost message, a lost
	// acknowledgement a message that comes back); every valid record after
	// it is kept. OpenFile then rewrites the log without the damage, so it
	// is reported once.
	Corrupt

	// Lost: a whole segment file is missing (Offset and Length 0; Segment
	// is "first..last" for a run of missing files), or a
	// segment is shorter than the log recorded (the next segment's header,
	// or META after a clean Close, says how long it was): bytes at Offset,
	// Length long, are gone. Every record in them is lost: pushes, whose
	// numbers lie between After and Before, and removals, whose messages
	// may come back.
	Lost

	// LostMeta: the META file, which holds how far numbers were given out
	// and which segments the log has, is missing or damaged beside a log
	// that has segments. Numbering continues after the highest number the
	// log holds, so numbers given out after it (their records lost too)
	// could be given out again, and a missing first or last segment cannot
	// be detected. OpenFile writes a new META.
	LostMeta
)

var damageNames = [...]string{"", "TornTail", "Corrupt", "Lost", "LostMeta"}

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
	LastSeq  uint64 // no number above it was given out before; Push continues after it

	// Damage lists every damaged stretch, in log order; empty after a
	// clean shutdown or a crash between writes.
	Damage []Damage

	// Overflow counts the oldest entries dropped because the log held
	// more than the limits now configured allow (the limits were lowered
	// between runs); each was reported to OnDrop as ReasonOverflowOldest.
	Overflow int
}
