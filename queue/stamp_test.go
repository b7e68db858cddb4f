package queue

import (
	"context"
	"encoding/binary"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// stampedQueues are the queues whose Push honours Message.Stamp.
func stampedQueues(t *testing.T) map[string]Queue {
	f, err := OpenFile(t.TempDir(), FileOptions{Sync: SyncNever})
	require.NoError(t, err)
	return map[string]Queue{"Memory": NewMemory(Options{}), "File": f}
}

// TestStampWritesTheSequenceNumber: eight goroutines push at once, each
// message stamped with its own number; every entry handed out carries
// exactly the number it was given, so a program can put the number in the
// payload without predicting it.
func TestStampWritesTheSequenceNumber(t *testing.T) {
	for name, q := range stampedQueues(t) {
		t.Run(name, func(t *testing.T) {
			defer q.Close()
			const senders, each = 8, 500
			stamp := func(seq uint64, p []byte) { binary.BigEndian.PutUint64(p, seq) }
			var wg sync.WaitGroup
			for range senders {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range each {
						_, err := q.Push(context.Background(), Message{Payload: make([]byte, 8), Stamp: stamp})
						require.NoError(t, err)
					}
				}()
			}
			wg.Wait()
			for range senders * each {
				e, ok := q.TryNext()
				require.True(t, ok)
				require.Equal(t, e.Seq, binary.BigEndian.Uint64(e.Payload))
				require.NoError(t, q.Ack(e.Seq))
			}
		})
	}
}

// TestStampedPayloadIsWhatTheLogKeeps: a File logs the stamped bytes, so
// the number survives a reopen.
func TestStampedPayloadIsWhatTheLogKeeps(t *testing.T) {
	dir := t.TempDir()
	f, err := OpenFile(dir, FileOptions{Sync: SyncNever})
	require.NoError(t, err)
	stamp := func(seq uint64, p []byte) { binary.BigEndian.PutUint64(p, seq*3) }
	for range 3 {
		_, err := f.Push(context.Background(), Message{Payload: make([]byte, 8), Stamp: stamp})
		require.NoError(t, err)
	}
	require.NoError(t, f.Close())
	f, err = OpenFile(dir, FileOptions{Sync: SyncNever})
	require.NoError(t, err)
	defer f.Close()
	for range 3 {
		e, ok := f.TryNext()
		require.True(t, ok)
		require.Equal(t, e.Seq*3, binary.BigEndian.Uint64(e.Payload))
	}
}

// TestStampNotCalledForRefused: a message that does not enter the queue
// takes no number and is not stamped.
func TestStampNotCalledForRefused(t *testing.T) {
	q := NewMemory(Options{MaxMessages: 1, Overflow: Reject})
	defer q.Close()
	calls := 0
	stamp := func(uint64, []byte) { calls++ }
	_, err := q.Push(context.Background(), Message{Payload: []byte("a"), Stamp: stamp})
	require.NoError(t, err)
	_, err = q.Push(context.Background(), Message{Payload: []byte("b"), Stamp: stamp})
	require.ErrorIs(t, err, ErrQueueFull)
	require.Equal(t, 1, calls)
}
