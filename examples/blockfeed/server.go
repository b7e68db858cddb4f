package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/sturdyws/sturdy/transport"
)

// server is the embedded JSON-RPC node. It speaks the eth dialect:
//
//	chain_subscribe ["newHeads"]   a subscription id; then chain_subscription
//	                               notifications {"subscription", "result": block}
//	chain_unsubscribe [id]         true
//	chain_blocksSince [n]          the blocks after n (at most 1000)
//
// kill cuts every connection and stops listening, as a crash would; start
// listens again on the same address.
type server struct {
	chain *chain
	addr  string

	mu    sync.Mutex
	ln    net.Listener
	http  *http.Server
	conns map[*transport.Conn]string // subscription id, or "" for none
	wg    sync.WaitGroup             // Serve and the connection handlers
	ids   int
}

func newServer(ch *chain) *server {
	return &server{chain: ch, addr: "127.0.0.1:0", conns: map[*transport.Conn]string{}}
}

func (s *server) url() string { return "ws://" + s.addr }

// start listens on s.addr (a free port the first time).
func (s *server) start() error {
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: http.HandlerFunc(s.serveWS), ReadHeaderTimeout: 5 * time.Second}
	s.mu.Lock()
	s.addr, s.ln, s.http = ln.Addr().String(), ln, hs
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		_ = hs.Serve(ln)
	}()
	return nil
}

// kill stops listening and drops every connection without a close frame,
// then waits for every goroutine of the server to end.
func (s *server) kill() {
	s.mu.Lock()
	hs := s.http
	s.http = nil
	var conns []*transport.Conn
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	if hs != nil {
		_ = hs.Close()
	}
	for _, c := range conns {
		_ = c.CloseNow()
	}
	s.wg.Wait()
}

func (s *server) serveWS(w http.ResponseWriter, r *http.Request) {
	// Counted in before anything else, under the lock kill takes, so kill
	// waits for every handler that got this far; one that comes after
	// kill returns at once.
	s.mu.Lock()
	if s.http == nil {
		s.mu.Unlock()
		return
	}
	s.wg.Add(1)
	s.mu.Unlock()
	defer s.wg.Done()
	conn, err := transport.Accept(w, r, nil)
	if err != nil {
		return
	}
	s.mu.Lock()
	if s.http == nil { // killed while this handshake was on its way
		s.mu.Unlock()
		_ = conn.CloseNow()
		return
	}
	s.conns[conn] = ""
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.conns, conn)
		s.mu.Unlock()
		_ = conn.CloseNow()
	}()
	for {
		_, msg, err := conn.Read(context.Background())
		if err != nil {
			return
		}
		if reply := s.answer(conn, msg); reply != nil {
			if conn.Write(context.Background(), transport.MessageText, reply) != nil {
				return
			}
		}
	}
}

type request struct {
	ID     json.RawMessage   `json:"id"`
	Method string            `json:"method"`
	Params []json.RawMessage `json:"params"`
}

// answer returns the reply to one request, or nil.
func (s *server) answer(conn *transport.Conn, msg []byte) []byte {
	var req request
	if err := json.Unmarshal(msg, &req); err != nil || req.ID == nil {
		return nil
	}
	reply := func(result any, err error) []byte {
		if err != nil {
			return fmt.Appendf(nil, `{"jsonrpc":"2.0","id":%s,"error":{"code":-32602,"message":%q}}`, req.ID, err.Error())
		}
		b, _ := json.Marshal(result)
		return fmt.Appendf(nil, `{"jsonrpc":"2.0","id":%s,"result":%s}`, req.ID, b)
	}
	switch req.Method {
	case "chain_subscribe":
		// The reply is written under the lock that publish takes, so no
		// block reaches the client before its subscription id.
		s.mu.Lock()
		defer s.mu.Unlock()
		s.ids++
		id := fmt.Sprintf("0x%x", s.ids)
		r := reply(id, nil)
		if conn.Write(context.Background(), transport.MessageText, r) == nil {
			s.conns[conn] = id
		}
		return nil
	case "chain_unsubscribe":
		s.mu.Lock()
		s.conns[conn] = ""
		s.mu.Unlock()
		return reply(true, nil)
	case "chain_blocksSince":
		var n uint64
		if len(req.Params) != 1 || json.Unmarshal(req.Params[0], &n) != nil {
			return reply(nil, errors.New("want [number]"))
		}
		return reply(s.chain.since(n, 1000), nil)
	}
	return fmt.Appendf(nil, `{"jsonrpc":"2.0","id":%s,"error":{"code":-32601,"message":"no such method"}}`, req.ID)
}

// publish sends b to every subscribed connection.
func (s *server) publish(b block) {
	body, _ := json.Marshal(b)
	s.mu.Lock()
	defer s.mu.Unlock()
	for conn, id := range s.conns {
		if id == "" {
			continue
		}
		msg := fmt.Appendf(nil, `{"jsonrpc":"2.0","method":"chain_subscription","params":{"subscription":%q,"result":%s}}`, id, body)
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		if conn.Write(ctx, transport.MessageText, msg) != nil {
			_ = conn.CloseNow()
		}
		cancel()
	}
}
