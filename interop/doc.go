// Package interop holds sturdy's interoperability tests: a hostile-server
// conformance harness, real third-party WebSocket peers (gorilla/websocket,
// coder/websocket, lxzan/gws, Node's ws, nginx as a reverse proxy) and a
// chaos soak behind Toxiproxy, and package rpc against go-ethereum's JSON-RPC
// server. It is a module of its own so that nothing it
// imports reaches the module graph of sturdy's users; everything here lives
// in _test.go files, and this package exports nothing.
package interop
