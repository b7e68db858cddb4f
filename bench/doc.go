// Command bench runs sturdy side by side with gorilla/websocket,
// coder/websocket, gobwas/ws, lxzan/gws and a raw-TCP framer, through the
// same scenarios, interleaved round by round, against a server in a
// separate process. See README.md.
//
//	go run . [-rounds N] [-scale F] [-libs a,b] [-scenarios x,y] [-json out.json] [-md out.md]
//	go run . -check      # self-check and every scenario at a tiny scale, for CI
package main
