package queue

import (
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// syncer forces the log to stable storage. Its mutex serialises fsyncs and
// is always taken before File.mu, never while holding it, so producers
// keep appending while an fsync runs: whoever syncs next covers all of
// them at once (group commit).
type syncer struct {
	mu     sync.Mutex
	synced uint64 // log position known durable
	err    error  // the first fsync failure; durability is unknown after it
	closed bool   // Close has synced and closed the files
	files  []*os.File
	timer  *time.Timer // SyncInterval only
	every  time.Duration

	// ticks counts the timer's callbacks under way, so that Close can wait
	// for one that started before it stopped the timer: nothing of the
	// File may run after Close returns. A tick joins it under File.mu only
	// while the File is open, so none joins once Close has begun waiting.
	ticks sync.WaitGroup

	// fsyncs counts the fsyncs of segment files, so that tests can see
	// what each policy actually forces to disk.
	fsyncs atomic.Uint64

	// hook, when set by a test, runs after each sync the timer makes, so
	// tests can wait for that event.
	hook func(synced uint64)

	// fsyncHook, when set by a test, runs before each fsync of a segment,
	// so a test can hold an fsync and look at the queue meanwhile.
	fsyncHook func()
}

// to returns once the log is durable up to position pos, fsyncing it if
// no one else has. Called without File.mu.
func (s *syncer) to(f *File, pos uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.synced >= pos || s.closed || s.err != nil {
		return s.err
	}
	return s.syncLocked(f, false)
}

// syncLocked fsyncs everything written so far: the retired segments,
// which it then closes, and the active one, which it also closes when
// final. Called with s.mu held and File.mu not held.
func (s *syncer) syncLocked(f *File, final bool) error {
	f.mu.Lock()
	target := f.log.written
	s.files = append(s.files[:0], f.log.retired...)
	clear(f.log.retired)
	f.log.retired = f.log.retired[:0]
	retired := len(s.files)
	if len(f.log.segs) > 0 {
		if a := f.log.active(); a.file != nil {
			s.files = append(s.files, a.file)
			if final {
				a.file = nil
			}
		}
	}
	f.mu.Unlock()
	for i, file := range s.files {
		if f.syncPolicy != SyncNever && s.err == nil {
			if err := f.fsync(file); err != nil {
				s.err = err
			}
		}
		if i < retired || final {
			_ = file.Close()
		}
		s.files[i] = nil
	}
	if s.err != nil {
		// After a failed fsync the kernel may have dropped the dirty
		// pages: what is on disk is unknown, so nothing more is written.
		// What is queued is still sent, as Push documents: waiting for a
		// durability that will never come would only strand it.
		f.mu.Lock()
		if f.log.broken == nil {
			f.log.broken = fmt.Errorf("queue: fsync failed, the log's durability is unknown: %w", s.err)
		}
		f.released(^uint64(0))
		f.mu.Unlock()
		return s.err
	}
	s.synced = target
	f.mu.Lock()
	f.released(target)
	f.mu.Unlock()
	return nil
}

// released notes that the log is durable up to pos and wakes a consumer
// waiting for an entry it now may have. Called with File.mu held.
func (f *File) released(pos uint64) {
	if !f.gated || pos <= f.durable {
		return
	}
	f.durable = pos
	f.wakeConsumer()
}

// close waits for a timer tick already under way, then makes a final sync
// and closes every file of the log. Called by File.Close after it has
// marked the queue closed, so nothing writes any more and no tick starts.
func (s *syncer) close(f *File) error {
	if s.timer != nil {
		s.timer.Stop()
	}
	// Before taking s.mu: the tick may be waiting for it in to.
	s.ticks.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.syncLocked(f, true)
	s.closed = true
	return err
}

// kick arms the SyncInterval timer after a write. Called with File.mu
// held.
func (f *File) kick() {
	if f.sync.timer == nil || f.log.armed {
		return
	}
	f.log.armed = true
	f.sync.timer.Reset(f.sync.every)
}

// tick is the SyncInterval timer's function. Close may have stopped the
// timer too late to keep it from running; it then finds the File closed
// and does nothing, or Close waits for it.
func (f *File) tick() {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return
	}
	f.sync.ticks.Add(1)
	defer f.sync.ticks.Done()
	f.log.armed = false
	pos := f.log.written
	f.mu.Unlock()
	if f.sync.to(f, pos) == nil && f.sync.hook != nil {
		f.sync.hook(pos)
	}
}

// fsync forces a segment file to stable storage, counting it for tests.
func (f *File) fsync(file *os.File) error {
	f.sync.fsyncs.Add(1)
	if f.sync.fsyncHook != nil {
		f.sync.fsyncHook()
	}
	return file.Sync()
}
