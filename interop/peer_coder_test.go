package interop

import (
	"context"
	"net/http"
	"testing"

	"github.com/coder/websocket"
)

// coderPeer is an echo server built on coder/websocket.
var coderPeer = peerSpec{name: "coder", start: func(t *testing.T, addr string) echoServer {
	return startGoPeer(t, addr, func(ev *peerEvents, frag bool, w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		c.SetReadLimit(64 << 20)
		ctx := context.Background()
		for {
			typ, p, err := c.Read(ctx)
			if err != nil {
				// coder answers the client's close frame itself.
				if code := websocket.CloseStatus(err); code != -1 {
					ev.closed(int(code))
				}
				return
			}
			if code, ok := closeCommand(typ == websocket.MessageText, p); ok {
				_ = c.Close(websocket.StatusCode(code), "bye")
				return
			}
			if !frag {
				if c.Write(ctx, typ, p) != nil {
					return
				}
				continue
			}
			// Each Write on coder's message writer is one frame.
			mw, err := c.Writer(ctx, typ)
			if err != nil {
				return
			}
			for len(p) > 0 {
				n := min(len(p), 4096)
				if _, err := mw.Write(p[:n]); err != nil {
					return
				}
				p = p[n:]
			}
			if mw.Close() != nil {
				return
			}
		}
	})
}}
