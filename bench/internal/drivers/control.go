package drivers

// Control is a second copy of the Sturdy driver under its own name, run
// with -control. Two copies of the same code in one run differ only by
// the machine's noise, so the spread between them is the resolution of
// that run: a gap between two libraries no larger than it decides
// nothing.
type Control struct{ Sturdy }

// Name implements Driver.
func (Control) Name() string { return "sturdy-control" }
