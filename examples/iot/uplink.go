package main

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"

	"github.com/sturdyws/sturdy/transport"
	"github.com/sturdyws/sturdy/wstest"
)

// uplink is the embedded server and its reachability. While down, the
// agent is given an address where nothing listens, so every attempt fails
// as a real outage would (connection refused), through the real dial path.
type uplink struct {
	dead string // ws:// address of a closed port

	mu  sync.Mutex
	srv *wstest.Server
}

func newUplink() (*uplink, error) {
	// Reserve a port and close it: connecting there is refused.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		return nil, err
	}
	return &uplink{dead: "ws://" + addr}, nil
}

// start brings the server up: it acknowledges every reading it receives.
func (u *uplink) start() error {
	srv, err := wstest.NewServer(wstest.Options{Default: wstest.Sink(ackReading)})
	if err != nil {
		return err
	}
	u.mu.Lock()
	u.srv = srv
	u.mu.Unlock()
	return nil
}

// endpoint is the client's Options.Endpoint: asked before every dial.
func (u *uplink) endpoint(context.Context) (string, http.Header, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.srv == nil {
		return u.dead + "/telemetry", nil, nil
	}
	return u.srv.URL() + "/telemetry", nil, nil
}

// received returns the reading numbers the server got, in arrival order
// per connection (see wstest.CheckDelivery on why per connection).
func (u *uplink) received() []uint64 {
	u.mu.Lock()
	srv := u.srv
	u.mu.Unlock()
	if srv == nil {
		return nil
	}
	msgs := srv.Received()
	slices.SortStableFunc(msgs, func(a, b wstest.Message) int {
		if a.Conn != b.Conn {
			return a.Conn - b.Conn
		}
		return a.Index - b.Index
	})
	var seqs []uint64
	for _, m := range msgs {
		if seq, ok := wstest.ParseSeq(m.Data); ok {
			seqs = append(seqs, seq)
		}
	}
	return seqs
}

func (u *uplink) close() {
	u.mu.Lock()
	srv := u.srv
	u.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
}

// ackReading is the server's side of the protocol: {"ack":N} for reading
// N.
func ackReading(m wstest.Message) []byte {
	seq, ok := wstest.ParseSeq(m.Data)
	if !ok {
		return nil
	}
	return []byte(`{"ack":` + strconv.FormatUint(seq, 10) + `}`)
}

// parseAck is the agent's AckExtractor: it recognises the server's
// acknowledgements among inbound messages.
func parseAck(_ transport.MessageType, payload []byte) (uint64, bool) {
	var a struct {
		Ack *uint64 `json:"ack"`
	}
	if json.Unmarshal(payload, &a) != nil || a.Ack == nil {
		return 0, false
	}
	return *a.Ack, true
}
