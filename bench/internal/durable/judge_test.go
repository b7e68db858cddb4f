package durable

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestJudge classifies reopenings of a known reference: the verdicts the
// damage tables are made of.
func TestJudge(t *testing.T) {
	ref := &reference{
		live:   map[uint64]uint64{2: 1, 3: 2, 5: 4},
		acked:  map[uint64]bool{1: true, 4: true},
		maxSeq: 5,
	}
	all := []Item{{2, 1}, {3, 2}, {5, 4}}
	cases := []struct {
		name   string
		res    childResult
		err    error
		want   Outcome
		silent bool
	}{
		{"intact", childResult{Opened: true, Items: all, NextSeq: 6}, nil, Outcome{}, false},
		{"tail lost, renumbered", childResult{Opened: true, Items: all[:2], NextSeq: 4}, nil, Outcome{Lost: 1, Repeated: true}, true},
		{"ack resurrected", childResult{Opened: true, Items: append([]Item{{1, 0}}, all...), NextSeq: 6}, nil, Outcome{Resurrected: 1}, true},
		{"wrong payload under a number", childResult{Opened: true, Items: []Item{{2, 1}, {3, 9}, {5, 4}}, NextSeq: 6}, nil, Outcome{Lost: 1, Bad: 1}, true},
		{"checksum failure", childResult{Opened: true, Items: all, Bad: 1, NextSeq: 6}, nil, Outcome{Bad: 1}, true},
		{"reported loss", childResult{Opened: true, Items: all[1:], Damage: []string{"x"}, NextSeq: 6}, nil, Outcome{Lost: 1, Reported: true, Damage: []string{"x"}}, false},
		{"refused", childResult{Err: "bad file"}, nil, Outcome{Refused: true, Err: "bad file", Lost: 3}, false},
		{"panicked", childResult{Panic: "boom"}, nil, Outcome{Panic: true, Err: "panic: boom", Lost: 3}, false},
		{"died", childResult{}, &CrashError{Exit: "exit status 1", Stderr: "FATAL"}, Outcome{Crashed: true, Err: "durable: child died (exit status 1): FATAL", Lost: 3}, false},
	}
	for _, c := range cases {
		got := ref.judge(c.res, c.err)
		assert.Equal(t, c.want, got, c.name)
		assert.Equal(t, c.silent, got.Silent(), c.name)
	}
}
