//go:build !clientonly

package main

import (
	"net"
	"net/http"

	"github.com/gorilla/websocket"
)

// startEmbedded serves a WebSocket echo on a loopback port and returns its
// ws:// address and how to stop it.
func startEmbedded() (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	var up websocket.Upgrader
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer conn.Close()
		for {
			typ, p, err := conn.ReadMessage()
			if err != nil {
				return
			}
			if err := conn.WriteMessage(typ, p); err != nil {
				return
			}
		}
	})}
	go func() { _ = srv.Serve(ln) }()
	return "ws://" + ln.Addr().String(), func() { _ = srv.Close() }, nil
}
