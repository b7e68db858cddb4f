package queue

import "math/bits"

// minClass is the smallest block, 16 bytes: tinier blocks would only add
// free lists without saving memory worth having.
const minClass = 4

// storage recycles payload blocks so that Push allocates nothing once the
// queue has warmed up. Blocks come in power-of-two size classes, one free
// list each: a block freed by Ack serves any later payload of the same
// class, whatever order entries are acknowledged in, which a byte ring
// could not do once individual acks leave holes in it.
//
// It belongs to one queue and is guarded by that queue's mutex; sharing a
// pool between queues would let one session's burst pin memory another
// session then cannot return.
type storage struct {
	// free holds one list per class, up to the largest class put so
	// far: a queue of small messages keeps a few list headers (eight for
	// 100-byte payloads, 192 B), not one for every class a payload could
	// have (1.5 KiB), and one that never recycles a block (an idle one)
	// keeps none.
	free   [][][]byte
	idle   int64 // bytes parked in free lists
	budget int64 // most bytes parked; beyond it blocks go to the collector
}

func class(n int) int {
	return max(bits.Len(uint(n-1)), minClass)
}

// get returns a block of length n. Its capacity is the whole block, which
// put needs to find the class again.
func (s *storage) get(n int) []byte {
	if n == 0 {
		return nil
	}
	c := class(n)
	if c < len(s.free) {
		if l := s.free[c]; len(l) > 0 {
			b := l[len(l)-1]
			l[len(l)-1] = nil
			s.free[c] = l[:len(l)-1]
			s.idle -= int64(cap(b))
			return b[:n]
		}
	}
	return make([]byte, n, 1<<c)
}

// put takes back a block from get. Parking is bounded by budget so that a
// burst of large messages does not leave their blocks held after the queue
// has emptied: live blocks are bounded by MaxBytes (twice that with
// rounding), parked ones by budget.
func (s *storage) put(b []byte) {
	if cap(b) == 0 || s.idle+int64(cap(b)) > s.budget {
		return
	}
	c := class(cap(b))
	if c >= len(s.free) {
		s.free = append(s.free, make([][][]byte, c+1-len(s.free))...)
	}
	s.free[c] = append(s.free[c], b[:0])
	s.idle += int64(cap(b))
}
