//go:build !race

package transport

const raceAllocs = 0
