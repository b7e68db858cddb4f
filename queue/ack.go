package queue

// Ack removes the entry with sequence number seq, handed out or not. An
// unknown or already removed seq is ignored, because acknowledgements
// repeat across replays. Safe for concurrent use; the payload of the
// entry, if the consumer still holds it, is invalid once Ack returns.
func (m *Memory) Ack(seq uint64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	if pos, ok := m.ring.find(seq); ok {
		m.store.put(m.remove(pos).buf)
	}
	return nil
}

// AckThrough removes every entry whose sequence number is at most seq,
// handed out or not. Safe for concurrent use, with the same payload
// caveat as Ack.
func (m *Memory) AckThrough(seq uint64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	for m.ring.head < m.ring.tail && m.ring.at(m.ring.head).e.Seq <= seq {
		m.store.put(m.remove(m.ring.head).buf)
	}
	return nil
}
