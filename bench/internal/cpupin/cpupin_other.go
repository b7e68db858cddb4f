//go:build !linux

package cpupin

// Pin is not available here.
func Pin(int) (func() error, error) { return nil, ErrUnsupported }
