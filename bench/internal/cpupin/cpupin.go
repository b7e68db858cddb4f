// Package cpupin confines every thread of the calling process to one CPU
// and lets it go again. The echo scenario runs with the client and the
// server on the same CPU: a round trip is then the two libraries' code and
// two context switches, where on two CPUs of a virtual machine each
// wake-up of an idle CPU adds tens of microseconds, at random, run by run.
package cpupin

import "errors"

// ErrUnsupported is returned where the system offers no way to pin.
var ErrUnsupported = errors.ErrUnsupported
