package rpc_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/sturdyws/sturdy/client"
	"github.com/sturdyws/sturdy/rpc"
	"github.com/sturdyws/sturdy/transport"
	"github.com/sturdyws/sturdy/wstest"
)

// tinyServer answers "math_add", "math_fail" and "feed_subscribe" (eth
// dialect) and can push numbered events; for the examples only.
type tinyServer struct {
	*wstest.Server
	mu   sync.Mutex
	head int
	subs map[*wstest.Conn]string
	subd chan int // the ordinal of each connection that subscribed
}

func newTinyServer() *tinyServer {
	s := &tinyServer{subs: map[*wstest.Conn]string{}, subd: make(chan int, 16)}
	s.Server, _ = wstest.NewServer(wstest.Options{Default: wstest.Behavior{Message: s.answer}})
	return s
}

func (s *tinyServer) answer(ctx context.Context, c *wstest.Conn, m wstest.Message) {
	var req struct {
		ID     json.RawMessage
		Method string
		Params []json.RawMessage
	}
	if json.Unmarshal(m.Data, &req) != nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out string
	switch req.Method {
	case "math_add":
		var a, b int
		_ = json.Unmarshal(req.Params[0], &a)
		_ = json.Unmarshal(req.Params[1], &b)
		out = `"result":` + strconv.Itoa(a+b)
	case "math_fail":
		out = `"error":{"code":-32000,"message":"insufficient funds"}`
	case "feed_since":
		var n int
		_ = json.Unmarshal(req.Params[0], &n)
		var missed []int
		for i := n + 1; i <= s.head; i++ {
			missed = append(missed, i)
		}
		b, _ := json.Marshal(missed)
		out = `"result":` + string(b)
	case "feed_subscribe":
		id := "0xs" + strconv.Itoa(c.Ordinal())
		s.subs[c] = id
		s.subd <- c.Ordinal()
		out = `"result":"` + id + `"`
	}
	_ = c.Write(ctx, transport.MessageText, []byte(`{"jsonrpc":"2.0","id":`+string(req.ID)+`,`+out+`}`))
}

// emit numbers n events and pushes them to every subscription.
func (s *tinyServer) emit(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.head++
		for c, id := range s.subs {
			msg := `{"jsonrpc":"2.0","method":"feed_subscription","params":{"subscription":"` + id + `","result":` + strconv.Itoa(s.head) + `}}`
			if c.Write(context.Background(), transport.MessageText, []byte(msg)) != nil {
				delete(s.subs, c)
			}
		}
	}
}

func ExampleClient_Call() {
	srv := newTinyServer()
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	c, err := rpc.Start(ctx, rpc.Options{Client: client.Options{URL: srv.URL()}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()

	var sum int
	if err := c.Call(ctx, "math_add", []int{2, 3}, &sum); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("sum:", sum)

	var rerr *rpc.Error
	if err := c.Call(ctx, "math_fail", nil, nil); errors.As(err, &rerr) {
		fmt.Println("server error:", rerr.Code, rerr.Message)
	}
	// Output:
	// sum: 5
	// server error: -32000 insufficient funds
}

// ExampleClient_Subscribe follows a feed across a dropped connection: the
// hook backfills what was emitted while disconnected, before any event of
// the renewed subscription.
func ExampleClient_Subscribe() {
	srv := newTinyServer()
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	c, err := rpc.Start(ctx, rpc.Options{Client: client.Options{URL: srv.URL()}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()

	last := 0 // the last event the program has
	take := func(n int) {
		if n == last+1 {
			fmt.Println("event", n)
			last = n
		}
	}
	sub, err := c.Subscribe(ctx, "feed_subscribe", []string{"numbers"}, rpc.SubscribeOptions{
		OnResubscribe: func(ctx context.Context, r rpc.Resubscribed) {
			var missed []int
			if err := c.Call(ctx, "feed_since", []int{last}, &missed); err != nil {
				return // the next renewal backfills from the same point
			}
			fmt.Println("renewed; backfilled", len(missed))
			for _, n := range missed {
				take(n)
			}
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	next := func() {
		ev, err := sub.Next(ctx)
		if err != nil {
			fmt.Println(err)
			return
		}
		var n int
		_ = json.Unmarshal(ev, &n)
		take(n)
	}

	srv.emit(2)
	next()
	next()

	srv.StallHandshakes() // the server is away...
	srv.DropAll()
	_ = srv.WaitLive(ctx, 0)
	srv.emit(2) // ...while events 3 and 4 happen
	srv.ReleaseHandshakes()
	for ord := range srv.subd {
		if ord == 2 { // renewed on the new connection
			break
		}
	}
	srv.emit(1)
	for last < 5 {
		next()
	}
	// Output:
	// event 1
	// event 2
	// renewed; backfilled 3
	// event 3
	// event 4
	// event 5
}
