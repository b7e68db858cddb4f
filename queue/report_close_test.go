package queue

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// blockingReports is an OnDrop that records every report and holds the
// reporting goroutine inside the report of "b" until release is closed.
type blockingReports struct {
	entered chan struct{}
	release chan struct{}
	once    sync.Once
	mu      sync.Mutex
	got     []string
}

// let lets the held report go on; safe to call twice.
func (b *blockingReports) let() { b.once.Do(func() { close(b.release) }) }

func newBlockingReports() *blockingReports {
	return &blockingReports{entered: make(chan struct{}), release: make(chan struct{})}
}

func (b *blockingReports) onDrop(e Entry, _ DropReason) {
	b.mu.Lock()
	b.got = append(b.got, string(e.Payload))
	b.mu.Unlock()
	if string(e.Payload) == "b" {
		close(b.entered)
		<-b.release
	}
}

func (b *blockingReports) reported() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.got...)
}

// oneSlotQueues are a Memory and a File that hold one message and drop
// the newest past it, each reporting to onDrop.
func oneSlotQueues() []struct {
	name string
	open func(t *testing.T, onDrop func(Entry, DropReason)) Queue
} {
	return []struct {
		name string
		open func(t *testing.T, onDrop func(Entry, DropReason)) Queue
	}{
		{"Memory", func(_ *testing.T, onDrop func(Entry, DropReason)) Queue {
			return NewMemory(Options{MaxMessages: 1, Overflow: DropNewest, OnDrop: onDrop})
		}},
		{"File", func(t *testing.T, onDrop func(Entry, DropReason)) Queue {
			return openTestFile(t, t.TempDir(), FileOptions{Options: Options{MaxMessages: 1, Overflow: DropNewest, OnDrop: onDrop}, Sync: SyncNever})
		}},
	}
}

// holdReports puts q, a one-slot queue, where a Close must wait: "a" in
// flight, "b" dropped by a goroutine that rep holds inside its report,
// and "c" dropped and left to that goroutine, its Push returned. The
// channel gets b's Push's error once rep lets it go.
func holdReports(t *testing.T, q Queue, rep *blockingReports) <-chan error {
	t.Helper()
	ctx := context.Background()
	_, err := q.Push(ctx, Message{Payload: []byte("a")})
	require.NoError(t, err)
	_, ok := q.TryNext() // a is in flight: nothing is pending
	require.True(t, ok)
	pushed := make(chan error, 1)
	go func() { // its drop's report holds it
		_, err := q.Push(ctx, Message{Payload: []byte("b")})
		pushed <- err
	}()
	<-rep.entered
	_, err = q.Push(ctx, Message{Payload: []byte("c")})
	require.ErrorIs(t, err, ErrDropped, "returned with its report left to the other goroutine")
	return pushed
}

// A drop made while another goroutine is reporting is left to that one,
// and its Push returns ErrDropped at once. Close waits for that report:
// an owner counting drops in OnDrop (client.Client, for the
// UndeliveredError its Close returns) has them all once Close returns.
func TestCloseWaitsForDropReports(t *testing.T) {
	for _, tc := range oneSlotQueues() {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			rep := newBlockingReports()
			defer rep.let() // a failure must not leave the reporter held
			q := tc.open(t, rep.onDrop)
			pushed := holdReports(t, q, rep)

			woken := make(chan error, 1)
			go func() { // Close wakes it: then Close has begun
				_, err := q.Next(ctx)
				woken <- err
			}()
			var atClose []string
			closed := make(chan struct{})
			go func() {
				_ = q.Close()
				atClose = rep.reported()
				close(closed)
			}()
			require.ErrorIs(t, <-woken, ErrClosed)
			select {
			case <-closed:
				t.Fatal("Close returned while a drop was still being reported")
			default:
			}
			rep.let()
			<-closed
			assert.Equal(t, []string{"b", "c"}, atClose, "every drop reported when Close returned")
			require.ErrorIs(t, <-pushed, ErrDropped)
		})
	}
}

// reporterOf returns q's drop reporter, for its test hook.
func reporterOf(t *testing.T, q Queue) *reporter {
	switch q := q.(type) {
	case *Memory:
		return &q.reporter
	case *File:
		return &q.reporter
	}
	t.Fatalf("no reporter in %T", q)
	return nil
}

// A Close made while another is under way returns on the same terms as
// the first: once every drop made before it has been reported. The
// File's returned at once, the queue being closed already, so an owner
// whose Close came second (a client.Client whose File the program was
// closing too) could miss a drop left to a reporting goroutine.
func TestSecondCloseWaitsForDropReports(t *testing.T) {
	for _, tc := range oneSlotQueues() {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			rep := newBlockingReports()
			defer rep.let() // a failure must not leave the reporter held
			q := tc.open(t, rep.onDrop)
			waiting := make(chan struct{}, 8)
			reporterOf(t, q).awaitHook = func() { waiting <- struct{}{} }
			pushed := holdReports(t, q, rep)

			woken := make(chan error, 1)
			go func() { // the first Close wakes it: then the queue is closed
				_, err := q.Next(ctx)
				woken <- err
			}()
			first := make(chan struct{})
			go func() {
				_ = q.Close()
				close(first)
			}()
			require.ErrorIs(t, <-woken, ErrClosed)
			var atSecond []string
			second := make(chan struct{})
			go func() {
				_ = q.Close()
				atSecond = rep.reported()
				close(second)
			}()
			for n := 0; n < 2; { // both Closes wait for the report, or the second returned
				select {
				case <-waiting:
					n++
					continue
				case <-second:
				}
				break
			}
			rep.let()
			<-second
			<-first
			assert.Equal(t, []string{"b", "c"}, atSecond, "every drop reported when the second Close returned")
			require.ErrorIs(t, <-pushed, ErrDropped)
		})
	}
}
