package interop

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// gorillaPeer is an echo server built on gorilla/websocket.
var gorillaPeer = peerSpec{name: "gorilla", start: func(t *testing.T, addr string) echoServer {
	up := &websocket.Upgrader{ReadBufferSize: 4096, WriteBufferSize: 4096}
	return startGoPeer(t, addr, func(ev *peerEvents, frag bool, w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for {
			typ, p, err := c.ReadMessage()
			if err != nil {
				// gorilla answers the client's close frame itself.
				var ce *websocket.CloseError
				if errors.As(err, &ce) {
					ev.closed(ce.Code)
				}
				return
			}
			if code, ok := closeCommand(typ == websocket.TextMessage, p); ok {
				msg := websocket.FormatCloseMessage(code, "bye")
				_ = c.WriteControl(websocket.CloseMessage, msg, time.Now().Add(5*time.Second))
				continue // the client's echo ends ReadMessage
			}
			if !frag {
				if c.WriteMessage(typ, p) != nil {
					return
				}
				continue
			}
			// NextWriter sends a frame each time its 4 KiB buffer fills.
			mw, err := c.NextWriter(typ)
			if err != nil {
				return
			}
			if _, err := mw.Write(p); err != nil || mw.Close() != nil {
				return
			}
		}
	})
}}
