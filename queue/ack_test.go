package queue

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAck(t *testing.T) {
	type ack struct {
		through bool
		seq     uint64
	}
	tests := []struct {
		name     string
		handOut  int
		acks     []ack
		wantNext []string // pending after the acks
		wantHeld []string // everything held, after a Rewind
	}{
		{"in order", 2, []ack{{false, 1}, {false, 2}}, []string{"m3", "m4"}, []string{"m3", "m4"}},
		{"out of order", 3, []ack{{false, 2}, {false, 1}}, []string{"m4"}, []string{"m3", "m4"}},
		{"middle leaves the rest", 3, []ack{{false, 2}}, []string{"m4"}, []string{"m1", "m3", "m4"}},
		{"repeated is ignored", 1, []ack{{false, 1}, {false, 1}}, []string{"m2", "m3", "m4"}, []string{"m2", "m3", "m4"}},
		{"unknown is ignored", 0, []ack{{false, 0}, {false, 99}, {true, 0}}, []string{"m1", "m2", "m3", "m4"}, []string{"m1", "m2", "m3", "m4"}},
		{"pending entry is never handed out", 0, []ack{{false, 2}}, []string{"m1", "m3", "m4"}, []string{"m1", "m3", "m4"}},
		{"cumulative", 2, []ack{{true, 2}}, []string{"m3", "m4"}, []string{"m3", "m4"}},
		{"cumulative past the cursor", 1, []ack{{true, 3}}, []string{"m4"}, []string{"m4"}},
		{"cumulative beyond the last", 4, []ack{{true, 100}}, nil, nil},
		{"cumulative over holes", 4, []ack{{false, 3}, {false, 2}, {true, 3}}, nil, []string{"m4"}},
		{"individual after cumulative", 4, []ack{{true, 2}, {false, 4}}, nil, []string{"m3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, _, rec := newTestQueue(t, Options{})
			for _, p := range []string{"m1", "m2", "m3", "m4"} {
				push(t, q, p, 0)
			}
			handOut(t, q, tt.handOut)
			for _, a := range tt.acks {
				if a.through {
					require.NoError(t, q.AckThrough(a.seq))
				} else {
					require.NoError(t, q.Ack(a.seq))
				}
				checkRing(t, q)
			}
			assert.Equal(t, tt.wantNext, pendingPayloads(t, q), "pending")
			q.Rewind()
			assert.Equal(t, tt.wantHeld, pendingPayloads(t, q), "replayed")
			n, b := q.Len()
			assert.Equal(t, len(tt.wantHeld), n)
			assert.Equal(t, int64(2*len(tt.wantHeld)), b)
			assert.Empty(t, rec.take(), "an ack is not a drop")
		})
	}
}

func TestRewindReplaysUnacknowledged(t *testing.T) {
	q, _, _ := newTestQueue(t, Options{})
	for _, p := range []string{"a", "b", "c", "d"} {
		push(t, q, p, 0)
	}
	require.Equal(t, []string{"a", "b", "c"}, handOut(t, q, 3))
	require.NoError(t, q.Ack(2))
	q.Rewind()
	assert.Equal(t, []string{"a", "c", "d"}, pendingPayloads(t, q))
	push(t, q, "e", 0)
	assert.Equal(t, []string{"e"}, pendingPayloads(t, q), "new sends follow the replay")
	q.Rewind()
	q.Rewind()
	assert.Equal(t, []string{"a", "c", "d", "e"}, pendingPayloads(t, q), "rewind is idempotent")
}
