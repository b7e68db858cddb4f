//go:build race

package interop

// raceEnabled says the race detector is on, which makes speed figures
// meaningless: timing reports then only check that they run.
const raceEnabled = true
