package queue

// Ack removes the entry with sequence number seq, handed out or not. An
// unknown or already removed seq is ignored, because acknowledgements
// repeat across replays. An entry not yet handed out leaves the queue and
// is never handed out. Safe for concurrent use. If the consumer was handed
// the entry, its payload stays intact until the consumer's next call (see
// [Queue]), so an ack that overtakes the writer is harmless.
func (m *Memory) Ack(seq uint64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	if pos, ok := m.ring.find(seq); ok {
		handed := pos < m.ring.cursor
		m.retire(m.remove(pos), handed)
	}
	return nil
}

// AckThrough removes every entry whose sequence number is at most seq,
// handed out or not; seq may lie beyond anything pushed, and later pushes
// are not affected. Safe for concurrent use, with Ack's payload guarantee.
func (m *Memory) AckThrough(seq uint64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	for m.ring.head < m.ring.tail && m.ring.at(m.ring.head).e.Seq <= seq {
		handed := m.ring.head < m.ring.cursor
		m.retire(m.remove(m.ring.head), handed)
	}
	return nil
}
