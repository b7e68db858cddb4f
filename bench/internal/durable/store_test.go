package durable

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// held opens s in dir and returns what it replays, as "seq:index", with
// every payload checked.
func held(t *testing.T, s Store, dir string, o Options) (Queue, []string) {
	t.Helper()
	var got []string
	q, opened, err := s.Open(dir, o, func(seq uint64, p []byte) {
		idx, ok := CheckPayload(p)
		require.True(t, ok, "payload of %d fails its checksum", seq)
		got = append(got, fmt.Sprintf("%d:%d", seq, idx))
	})
	require.NoError(t, err)
	require.Empty(t, opened.Damage)
	return q, got
}

// TestStoresReplayWhatIsNotAcked is the contract every store must meet
// before its numbers mean anything: after a clean close, reopening
// replays exactly the messages not acknowledged, in order, with intact
// payloads, and numbering continues past every number handed out, even
// when the newest messages were acknowledged.
func TestStoresReplayWhatIsNotAcked(t *testing.T) {
	for _, s := range Stores() {
		for _, p := range Policies {
			t.Run(s.Name+"/"+p.String(), func(t *testing.T) {
				dir := t.TempDir()
				o := Options{Policy: p, SmallFiles: true}
				q, got := held(t, s, dir, o)
				require.Empty(t, got)
				buf := make([]byte, 700)
				var want []string
				for i := range 40 {
					seq, err := q.Push(MakePayload(buf, uint64(i)))
					require.NoError(t, err)
					require.Equal(t, uint64(i+1), seq)
					if i%3 == 0 || i >= 37 {
						require.NoError(t, q.Ack(seq))
					} else {
						want = append(want, fmt.Sprintf("%d:%d", seq, i))
					}
				}
				require.NoError(t, q.Close())

				q, got = held(t, s, dir, o)
				assert.Equal(t, want, got)
				seq, err := q.Push(MakePayload(buf, 99))
				require.NoError(t, err)
				assert.Equal(t, uint64(41), seq, "numbering continues past the acknowledged tail")
				require.NoError(t, q.Close())
			})
		}
	}
}

// TestStoresNumberConcurrentPushes: eight senders pushing at once get
// distinct numbers, and every message comes back.
func TestStoresNumberConcurrentPushes(t *testing.T) {
	for _, s := range Stores() {
		t.Run(s.Name, func(t *testing.T) {
			dir := t.TempDir()
			q, _ := held(t, s, dir, Options{})
			const senders, each = 8, 15
			seqs := make([][]uint64, senders)
			var wg sync.WaitGroup
			for g := range senders {
				wg.Go(func() {
					buf := make([]byte, 64)
					for i := range each {
						seq, err := q.Push(MakePayload(buf, uint64(g*each+i)))
						if !assert.NoError(t, err) {
							return
						}
						seqs[g] = append(seqs[g], seq)
					}
				})
			}
			wg.Wait()
			require.NoError(t, q.Close())
			seen := map[uint64]bool{}
			for _, l := range seqs {
				for _, s := range l {
					assert.False(t, seen[s], "number %d handed out twice", s)
					seen[s] = true
				}
			}
			q, got := held(t, s, dir, Options{})
			assert.Len(t, got, senders*each)
			require.NoError(t, q.Close())
		})
	}
}
