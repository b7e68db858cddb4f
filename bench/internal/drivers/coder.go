package drivers

import (
	"context"
	"net/http"

	"github.com/coder/websocket"
)

// Coder drives coder/websocket with default DialOptions and the read
// limit raised to 64 MiB (its default, 32 KiB, refuses the 1 MiB
// messages). Reads use Reader and read the message into one reused buffer
// (Read would allocate). Write and Send are both Write, which flushes
// every message: coder has no buffered path for whole messages.
type Coder struct{}

// Name implements Driver.
func (Coder) Name() string { return "coder" }

// coderOptions returns coder's defaults, dialing through netDial when it
// is not nil (coder dials with an http.Client).
func coderOptions(netDial NetDial) *websocket.DialOptions {
	o := &websocket.DialOptions{}
	if netDial != nil {
		o.HTTPClient = &http.Client{Transport: &http.Transport{DialContext: netDial}}
	}
	return o
}

// Dial implements Driver.
func (Coder) Dial(ctx context.Context, url string, netDial NetDial) (Conn, error) {
	c, _, err := websocket.Dial(ctx, url, coderOptions(netDial))
	if err != nil {
		return nil, err
	}
	c.SetReadLimit(64 << 20)
	return &coderConn{c: c}, nil
}

type coderConn struct {
	c    *websocket.Conn
	buf  []byte
	exp  expectation
	hold holder
}

func (k *coderConn) Write(text bool, p []byte) error {
	typ := websocket.MessageBinary
	if text {
		typ = websocket.MessageText
	}
	return k.c.Write(context.Background(), typ, p)
}

func (k *coderConn) Send(p []byte) error {
	return k.c.Write(context.Background(), websocket.MessageBinary, p)
}

func (k *coderConn) Flush() error { return nil }

func (k *coderConn) Expect(n int, check Check) { k.exp = expectation{n, check} }

func (k *coderConn) Wait() error {
	ctx := context.Background()
	for i := range k.exp.n {
		typ, r, err := k.c.Reader(ctx)
		if err != nil {
			return err
		}
		k.buf, err = readInto(r, k.buf)
		if err != nil {
			return err
		}
		if k.exp.check != nil {
			if err := k.exp.check(i, typ == websocket.MessageText, k.buf); err != nil {
				return err
			}
		}
	}
	return nil
}

func (k *coderConn) Hold() {
	k.hold.start(func() {
		for {
			if _, _, err := k.c.Reader(context.Background()); err != nil {
				return
			}
		}
	})
}

// Close runs coder's close handshake.
func (k *coderConn) Close() error {
	err := k.c.Close(websocket.StatusNormalClosure, "")
	k.hold.wait()
	return err
}
