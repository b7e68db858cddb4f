package queue

// slot is one place in the ring. A removed entry leaves a hole that keeps
// its sequence number, so the occupied span stays sorted by Seq and an ack
// can binary-search it.
type slot struct {
	e    Entry
	buf  []byte // the whole storage block behind e.Payload
	live bool
	sent bool   // handed out at least once (or in doubt from an earlier run)
	pos  uint64 // File: the log position its record must be synced to
}

// ring holds entries in push order between head and tail. Positions are
// uint64 counters that only grow, masked into slots, so no index ever
// wraps. Entries in [head, cursor) have been handed out (in flight); those
// in [cursor, tail) are pending.
//
// Individual acks, expiry and eviction remove entries from the middle. The
// holes they leave are squeezed out when the slots run out, and the slot
// array is up to twice MaxMessages long so that squeezing happens at most
// once per MaxMessages pushes: amortised O(1), where keeping exactly
// MaxMessages slots could mean a full copy on every push.
//
// Invariant: when head < tail, the slots at head and tail-1 are live.
type ring struct {
	slots []slot
	mask  uint64
	limit int // the longest slots may grow: a power of two ≥ 2*MaxMessages

	head, cursor, tail uint64

	count         int
	bytes         int64
	inflight      int
	inflightBytes int64
}

func newRing(maxMessages int) ring {
	limit := 1
	for limit < 2*maxMessages {
		limit <<= 1
	}
	// No slots until the first push, then few, growing: a queue that
	// never holds much never pays for MaxMessages slots.
	return ring{limit: limit}
}

func (r *ring) at(pos uint64) *slot { return &r.slots[pos&r.mask] }

// push appends a live entry; the caller has made sure it fits the limits.
func (r *ring) push(e Entry, buf []byte) {
	if r.tail-r.head == uint64(len(r.slots)) {
		size := len(r.slots)
		switch {
		case size == 0:
			size = min(r.limit, 2)
		case r.count*2 > size && size < r.limit:
			size *= 2
		}
		r.repack(size)
	}
	*r.at(r.tail) = slot{e: e, buf: buf, live: true}
	r.tail++
	r.count++
	r.bytes += int64(len(e.Payload))
}

// repack squeezes the holes out, into a new array when size differs. Slots
// move but payload blocks do not, so entries already handed out stay valid.
func (r *ring) repack(size int) {
	src, srcMask := r.slots, r.mask
	dst, dstMask := src, srcMask
	inPlace := size == len(src)
	if !inPlace {
		dst, dstMask = make([]slot, size), uint64(size-1)
	}
	w, cursor := r.head, r.head
	for p := r.head; p < r.tail; p++ {
		if p == r.cursor {
			cursor = w
		}
		s := &src[p&srcMask]
		if !s.live {
			continue
		}
		if !inPlace || w != p {
			dst[w&dstMask] = *s
		}
		w++
	}
	if r.cursor == r.tail {
		cursor = w
	}
	// What lies between the new and the old tail are holes and copies of
	// moved entries; clear them so no block is referenced twice.
	if inPlace {
		for p := w; p < r.tail; p++ {
			dst[p&dstMask] = slot{}
		}
	}
	r.slots, r.mask, r.tail, r.cursor = dst, dstMask, w, cursor
}

// find returns the position of the live entry with sequence number seq.
func (r *ring) find(seq uint64) (uint64, bool) {
	if r.head == r.tail {
		return 0, false
	}
	first := r.at(r.head).e.Seq
	if seq < first {
		return 0, false
	}
	// Without holes the entry sits at a fixed distance from head; that is
	// the usual case and spares the search.
	if off := seq - first; off < r.tail-r.head {
		if s := r.at(r.head + off); s.e.Seq == seq {
			return r.head + off, s.live
		}
	}
	lo, hi := r.head, r.tail
	for lo < hi {
		mid := lo + (hi-lo)/2
		if r.at(mid).e.Seq < seq {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo < r.tail {
		if s := r.at(lo); s.e.Seq == seq && s.live {
			return lo, true
		}
	}
	return 0, false
}

// remove turns the live entry at pos into a hole and returns what it held.
func (r *ring) remove(pos uint64) slot {
	s := r.at(pos)
	out := *s
	*s = slot{e: Entry{Seq: out.e.Seq}}
	n := int64(len(out.e.Payload))
	r.count--
	r.bytes -= n
	if pos < r.cursor {
		r.inflight--
		r.inflightBytes -= n
	}
	for r.head < r.tail && !r.at(r.head).live {
		r.head++
	}
	for r.tail > r.head && !r.at(r.tail-1).live {
		r.tail--
	}
	r.cursor = min(max(r.cursor, r.head), r.tail)
	return out
}

// peek returns the position of the first pending entry, stepping the
// cursor over holes on the way.
func (r *ring) peek() (uint64, bool) {
	for r.cursor < r.tail {
		if r.at(r.cursor).live {
			return r.cursor, true
		}
		r.cursor++
	}
	return 0, false
}

// hand moves the cursor past pos, the position peek returned.
func (r *ring) hand(pos uint64) {
	r.cursor = pos + 1
	r.at(pos).sent = true
	r.inflight++
	r.inflightBytes += int64(len(r.at(pos).e.Payload))
}

func (r *ring) rewind() {
	r.cursor = r.head
	r.inflight, r.inflightBytes = 0, 0
}

// takeAll empties the ring and returns its entries, oldest first.
func (r *ring) takeAll() []slot {
	out := make([]slot, 0, r.count)
	for p := r.head; p < r.tail; p++ {
		s := r.at(p)
		if s.live {
			out = append(out, *s)
		}
		*s = slot{}
	}
	r.head, r.cursor = r.tail, r.tail
	r.count, r.bytes, r.inflight, r.inflightBytes = 0, 0, 0, 0
	return out
}
