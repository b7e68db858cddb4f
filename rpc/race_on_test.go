//go:build race

package rpc

// raceEnabled is set under the race detector, whose sync.Pool drops items
// at random: json.Valid's pooled scanner then allocates now and then.
const raceEnabled = true
