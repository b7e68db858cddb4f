package interop

import (
	"bytes"
	"errors"
	"net/http"
	"testing"

	"github.com/lxzan/gws"
)

// gwsPeer is an echo server built on lxzan/gws. Its WriteFile streams a
// message in segments, which is how it fragments.
var gwsPeer = peerSpec{name: "gws", start: func(t *testing.T, addr string) echoServer {
	return startGoPeer(t, addr, func(ev *peerEvents, frag bool, w http.ResponseWriter, r *http.Request) {
		up := gws.NewUpgrader(&gwsEcho{ev: ev, frag: frag}, &gws.ServerOption{
			ReadMaxPayloadSize:  64 << 20,
			WriteMaxPayloadSize: 64 << 20,
			CheckUtf8Enabled:    true,
		})
		c, err := up.Upgrade(w, r)
		if err != nil {
			return
		}
		// The handler's goroutine runs the read loop, so stopping the
		// server (which waits for handlers) waits for it.
		c.ReadLoop()
	})
}}

// gwsEcho is the gws event handler of the echo protocol.
type gwsEcho struct {
	gws.BuiltinEventHandler
	ev   *peerEvents
	frag bool
}

func (h *gwsEcho) OnClose(_ *gws.Conn, err error) {
	var ce *gws.CloseError
	if errors.As(err, &ce) {
		h.ev.closed(int(ce.Code))
	}
}

func (h *gwsEcho) OnMessage(c *gws.Conn, m *gws.Message) {
	defer m.Close()
	p := m.Bytes()
	if code, ok := closeCommand(m.Opcode == gws.OpcodeText, p); ok {
		_ = c.WriteClose(uint16(code), []byte("bye"))
		return
	}
	if h.frag {
		_ = c.WriteFile(m.Opcode, bytes.NewReader(p))
		return
	}
	_ = c.WriteMessage(m.Opcode, p)
}
