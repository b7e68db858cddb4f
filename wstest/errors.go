package wstest

import "errors"

// Errors returned by Server methods and by Conn.Write. Match them with
// errors.Is.
var (
	// ErrServerClosed is returned once Close has been called: by the
	// methods that act on connections, and by the Wait methods whose
	// condition can no longer come true.
	ErrServerClosed = errors.New("wstest: server closed")

	// ErrNoConn is returned by the methods that act on one connection when
	// no live connection has that ordinal.
	ErrNoConn = errors.New("wstest: no live connection with that ordinal")

	// ErrStalled is returned by Conn.Write on a stalled connection: a
	// stalled peer sends nothing, so the message was dropped.
	ErrStalled = errors.New("wstest: connection is stalled")
)
