//go:build !race

package queue

const raceAllocs = 0
