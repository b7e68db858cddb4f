package heartbeat

import "strconv"

// Mode says what counts as proof that the peer is alive after a ping.
type Mode int

const (
	// PongOnly, the default, accepts only the reply to the ping: the pong
	// that echoes its payload, or the reply message of an application-level
	// [Strategy]. It is the strict choice: a server whose read side is wedged
	// but whose broadcast loop still pushes data is found dead.
	PongOnly Mode = iota
	// AnyFrame accepts any inbound frame or message received after the ping
	// was sent. It suits busy feeds whose servers answer pings late or never
	// while data keeps flowing: the data itself proves the link works.
	AnyFrame
)

// String returns the constant's name, or Mode(n) for unknown values.
func (m Mode) String() string {
	switch m {
	case PongOnly:
		return "PongOnly"
	case AnyFrame:
		return "AnyFrame"
	}
	return "Mode(" + strconv.Itoa(int(m)) + ")"
}
