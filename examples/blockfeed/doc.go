// Blockfeed follows a chain's new blocks over JSON-RPC 2.0 through a server
// that keeps restarting, and proves that it saw every block once, in order.
// Run it with
//
//	go run ./examples/blockfeed
//
// It starts an embedded JSON-RPC server (eth dialect, like a node's
// eth_subscribe("newHeads")) that produces a block every -interval, and
// kills it every -restart-every blocks for -down (every connection cut,
// nothing listening), then starts it again on the same address. The
// program subscribes with package rpc: on every reconnect the
// subscription is renewed, and its OnResubscribe hook backfills what was
// produced while it was away by a chain_blocksSince call, before any
// block of the renewed subscription is taken.
//
// It prints each gap found and backfilled and, after -blocks blocks, a
// summary. Each block names its parent's hash, so the program checks the
// chain link by link: the exit status is 1 when any block is missing,
// repeated or out of order (try -no-backfill to see one), 2 for a bad
// command line.
package main
