package main

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"sync"
)

// block is what the subscription sends: a number and a hash that commits
// to the parent's, so a consumer can check the chain link by link.
type block struct {
	Number     uint64 `json:"number"`
	Hash       string `json:"hash"`
	ParentHash string `json:"parentHash"`
}

// chain is the server's state, which outlives its restarts: blocks are
// produced whether anyone listens or not.
type chain struct {
	mu     sync.Mutex
	blocks []block
	grown  chan struct{} // closed and replaced when a block is added
}

func newChain() *chain { return &chain{grown: make(chan struct{})} }

// hashOf derives block n's hash from its parent's.
func hashOf(n uint64, parent string) string {
	sum := sha256.Sum256([]byte(parent + "/" + strconv.FormatUint(n, 10)))
	return "0x" + hex.EncodeToString(sum[:8])
}

// add produces the next block and returns it.
func (c *chain) add() block {
	c.mu.Lock()
	defer c.mu.Unlock()
	parent := "0x0"
	if len(c.blocks) > 0 {
		parent = c.blocks[len(c.blocks)-1].Hash
	}
	n := uint64(len(c.blocks) + 1)
	b := block{Number: n, Hash: hashOf(n, parent), ParentHash: parent}
	c.blocks = append(c.blocks, b)
	close(c.grown)
	c.grown = make(chan struct{})
	return b
}

// since returns the blocks after n, at most max of them.
func (c *chain) since(n uint64, max int) []block {
	c.mu.Lock()
	defer c.mu.Unlock()
	if n >= uint64(len(c.blocks)) {
		return []block{}
	}
	out := c.blocks[n:]
	if len(out) > max {
		out = out[:max]
	}
	return append([]block(nil), out...)
}

// height returns the number of the newest block.
func (c *chain) height() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.blocks)
}
