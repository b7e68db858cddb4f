package rpc

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"testing"

	"github.com/sturdyws/sturdy/transport"
	"github.com/sturdyws/sturdy/wstest"
)

// feedServer is a JSON-RPC 2.0 server, eth dialect, on wstest: it numbers
// events 1, 2, 3… across connections (emit), pushes each to every live
// subscription, and answers:
//
//	test_echo [x]         x
//	test_fail []          error -32000 "boom" with data {"n":1}
//	test_since [n]        the event numbers after n, up to the newest
//	test_hang []          nothing on the connections listed in hangOn
//	test_subscribe ["numbers"], test_unsubscribe [id]
//
// Every send and the subscription table share one lock, so an event
// emitted after a subscribe answer is sent after it.
type feedServer struct {
	*wstest.Server
	t *testing.T

	mu     sync.Mutex
	head   int
	nextID int
	subs   map[string]*wstest.Conn // by subscription id
	hangOn map[int]bool            // connection ordinals where test_hang stays silent
	calls  map[string]int          // requests seen, by method
	subbed chan int                // the ordinal of each connection that subscribed
}

func startFeed(t *testing.T) *feedServer {
	f := &feedServer{t: t, subs: map[string]*wstest.Conn{}, hangOn: map[int]bool{}, calls: map[string]int{}, subbed: make(chan int, 1024)}
	f.Server = wstest.Start(t, wstest.Options{Default: wstest.Behavior{Message: f.message}})
	return f
}

type fakeReq struct {
	ID     json.RawMessage   `json:"id"`
	Method string            `json:"method"`
	Params []json.RawMessage `json:"params"`
}

func (f *feedServer) message(ctx context.Context, c *wstest.Conn, m wstest.Message) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var batch []fakeReq
	if len(m.Data) > 0 && m.Data[0] == '[' {
		if json.Unmarshal(m.Data, &batch) != nil {
			return
		}
		var out []json.RawMessage
		for _, r := range batch {
			if a := f.answer(c, r); a != nil {
				out = append(out, a)
			}
		}
		if len(out) > 0 {
			b, _ := json.Marshal(out)
			_ = c.Write(ctx, transport.MessageText, b)
		}
		return
	}
	var r fakeReq
	if json.Unmarshal(m.Data, &r) != nil {
		return
	}
	if a := f.answer(c, r); a != nil {
		_ = c.Write(ctx, transport.MessageText, a)
	}
}

// answer returns the response to r, or nil for none. Called with mu held.
func (f *feedServer) answer(c *wstest.Conn, r fakeReq) json.RawMessage {
	f.calls[r.Method]++
	result := func(v any) json.RawMessage {
		b, _ := json.Marshal(v)
		return json.RawMessage(fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"result":%s}`, r.ID, b))
	}
	switch r.Method {
	case "test_echo":
		if len(r.Params) == 0 {
			return result(nil)
		}
		return json.RawMessage(fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"result":%s}`, r.ID, r.Params[0]))
	case "test_fail":
		return json.RawMessage(fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"error":{"code":-32000,"message":"boom","data":{"n":1}}}`, r.ID))
	case "test_since":
		var n int
		_ = json.Unmarshal(r.Params[0], &n)
		var out []int
		for i := n + 1; i <= f.head; i++ {
			out = append(out, i)
		}
		return result(out)
	case "test_hang":
		if f.hangOn[c.Ordinal()] {
			return nil
		}
		return result("late")
	case "test_subscribe":
		f.nextID++
		id := "0x" + strconv.Itoa(f.nextID)
		f.subs[id] = c
		f.subbed <- c.Ordinal()
		return result(id)
	case "test_unsubscribe":
		var id string
		_ = json.Unmarshal(r.Params[0], &id)
		_, ok := f.subs[id]
		delete(f.subs, id)
		return result(ok)
	case "":
		return nil // a notification from the client: nothing to answer
	}
	if r.ID == nil {
		return nil
	}
	return json.RawMessage(fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"error":{"code":-32601,"message":"no method"}}`, r.ID))
}

// emit numbers n more events and pushes each to every live subscription.
func (f *feedServer) emit(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for range n {
		f.head++
		for id, c := range f.subs {
			msg := fmt.Sprintf(`{"jsonrpc":"2.0","method":"test_subscription","params":{"subscription":%q,"result":{"n":%d}}}`, id, f.head)
			if c.Write(context.Background(), transport.MessageText, []byte(msg)) != nil {
				delete(f.subs, id) // its connection is gone
			}
		}
	}
}

// subscribers returns how many subscriptions the server would push to.
func (f *feedServer) subscribers() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.subs)
}

// forget drops the subscriptions of dropped connections, as a restarted
// server would have none.
func (f *feedServer) forgetAll() {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.subs)
}

func (f *feedServer) count(method string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[method]
}

// waitSubscribed waits until connection ord has subscribed.
func (f *feedServer) waitSubscribed(ctx context.Context, ord int) {
	f.t.Helper()
	for {
		select {
		case o := <-f.subbed:
			if o == ord {
				return
			}
		case <-ctx.Done():
			f.t.Fatalf("connection %d never subscribed", ord)
		}
	}
}
