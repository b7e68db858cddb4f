package queue

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFileHandsOutOnlyWhatIsFsynced: under SyncAlways an entry reaches the
// consumer only once its record is fsynced, so a power cut cannot lose a
// message the peer already has. The test holds the push's fsync and
// requires that neither TryNext nor a waiting Next gets the entry until it
// is let go.
func TestFileHandsOutOnlyWhatIsFsynced(t *testing.T) {
	f := openTestFile(t, tmpfsDir(t), FileOptions{Sync: SyncAlways})
	entered, let := holdFsyncs(t, f)
	hook, waiting := signal()
	f.waitHook = hook
	next := make(chan result, 1)
	go func() {
		e, err := f.Next(context.Background())
		next <- result{e: e, err: err}
	}()
	<-waiting // the consumer waits for an entry

	pushed := make(chan result, 1)
	go func() {
		seq, err := f.Push(context.Background(), Message{Type: 2, Payload: []byte("durable")})
		pushed <- result{seq: seq, err: err}
	}()
	<-entered // the record is written, its fsync under way
	if e, ok := f.TryNext(); ok {
		let()
		<-pushed
		t.Fatalf("TryNext handed out %d before its fsync", e.Seq)
	}
	select {
	case r := <-next:
		let()
		<-pushed
		t.Fatalf("Next returned %d before the fsync", r.e.Seq)
	default:
	}
	n, _ := f.Len()
	assert.Equal(t, 1, n, "it is queued, only held back")

	let()
	r := <-pushed
	require.NoError(t, r.err)
	got := <-next
	require.NoError(t, got.err)
	assert.Equal(t, "durable", string(got.e.Payload))
}

// TestFileOtherPoliciesHandOutAtOnce: SyncNever and SyncInterval promise
// no fsync before Push returns, so nothing is held back.
func TestFileOtherPoliciesHandOutAtOnce(t *testing.T) {
	for _, p := range []SyncPolicy{SyncInterval, SyncNever} {
		f := openTestFile(t, tmpfsDir(t), FileOptions{Sync: p})
		f.sync.fsyncHook = func() { t.Errorf("%v: fsync while pushing", p) }
		filePush(t, f, "x", 0)
		e, ok := f.TryNext()
		require.True(t, ok, "%v", p)
		assert.Equal(t, "x", string(e.Payload))
		f.sync.fsyncHook = nil
	}
}

// holdFsyncs holds every fsync of f until let is called (by the test, or
// at its end before the File's Close, even when it fails); entered
// signals that the first has begun.
func holdFsyncs(t *testing.T, f *File) (entered chan struct{}, let func()) {
	entered, release := make(chan struct{}, 1), make(chan struct{})
	var once sync.Once
	let = func() { once.Do(func() { close(release) }) }
	t.Cleanup(let)
	f.sync.fsyncHook = func() {
		select {
		case entered <- struct{}{}:
		default: // later fsyncs (Close's) only pass
		}
		<-release
	}
	return entered, let
}
