package queue

// MarkSending records that every held entry with a sequence number up to
// and including through is about to be written to a connection; called by
// the consumer before the write. After a crash or restart, OpenFile
// restores those entries, if not acknowledged, with Entry.InDoubt set: they
// may have reached the peer, so a program that promises at most once
// reports them instead of sending them again.
//
// The mark is a record in the log, written to the operating system before
// MarkSending returns, so it survives a crash of the process. Under
// SyncAlways it is also fsynced before MarkSending returns (sharing the
// fsync with concurrent Pushes), since SyncAlways promises that power loss
// loses nothing; under SyncInterval and SyncNever it costs no fsync of its
// own and reaches the disk with the next one. A mark no higher than an
// earlier one writes nothing; one beyond the last number pushed marks only
// what was pushed, never a later message.
//
// It returns ErrClosed on a closed File and the error of a failed write
// or fsync. Consumer only, like Next.
func (f *File) MarkSending(through uint64) error {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return ErrClosed
	}
	through = min(through, f.seq)
	if through <= f.log.marked {
		f.mu.Unlock()
		return nil
	}
	pos, err := f.appendRec(&record{kind: kindMark, seq: through})
	if err == nil {
		f.log.marked = through
	}
	f.mu.Unlock()
	if err != nil || f.syncPolicy != SyncAlways {
		return err
	}
	return f.sync.to(f, pos)
}
