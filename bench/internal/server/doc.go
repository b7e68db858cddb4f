// Package server is the benchmark's WebSocket server. It runs in a process
// of its own (the bench binary started with -serve), so the allocations and
// CPU time the benchmark measures in its own process are the client
// library's alone. It is built on wsraw for speed: no per-message
// allocation, large buffers, a flush only when the input has run dry.
//
// The request path picks the behaviour:
//
//	/push?size=N&count=M   waits for one message, then sends M binary messages of N bytes
//	/push?size=N           serves bursts: each message the client sends is a number K, and
//	                       the server sends the next K messages (numbered on across bursts)
//	/echo                  sends every message back with its type
//	/sink?count=M&size=N   reads M messages and answers "ok M" (with &verify=1 it checks
//	                       each payload and answers "bad: ..." on the first difference)
//	/idle                  pings once, then reads and answers control frames, nothing else
//
// The parent drives the reconnect scenario over stdin/stdout, one command
// per line: "flaky open" (answer "port ADDR"), "flaky down" (close the
// flaky listener and drop its connections; answer "ok"), "flaky up K SIZE"
// (listen again on the same address; once K messages of SIZE bytes have
// arrived in order, answer "replay FIRST ALL" in nanoseconds from the
// moment the listener was back to the first and the last of them). The
// server exits when its stdin closes.
package server
