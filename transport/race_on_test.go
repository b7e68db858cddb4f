//go:build race

package transport

// raceAllocs is the allocations the race detector adds to a count: its
// instrumentation moves a few values that stay on the stack otherwise
// (a seed array, a grown table) to the heap.
const raceAllocs = 1
