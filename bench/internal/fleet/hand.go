package fleet

import (
	"context"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/gorilla/websocket"

	"github.com/sturdyws/sturdy/heartbeat"
)

// handWriteWait bounds the hand-written member's control-frame writes,
// as gorilla's chat example does.
const handWriteWait = 10 * time.Second

// handMember is the hand-written connection: gorilla/websocket's
// default Dialer, a goroutine that reads (the reconnect loop's own, which
// dials again with cenkalti/backoff's default ExponentialBackOff when the
// connection ends) and one that pings every interval. A read deadline of
// interval + heartbeat.DefaultTimeout, extended by every pong, finds a
// dead peer, as sturdy's heartbeat does. Two goroutines while connected.
type handMember struct {
	url      string
	dial     dialFunc
	interval time.Duration
	ctx      context.Context
	cancel   context.CancelFunc
	done     chan struct{} // closed when run returns
	up       func()        // called once, after the first connection
	send     int           // messages to send on the first connection (Settings.Send)

	mu     sync.Mutex
	conn   *websocket.Conn // the live connection, for close
	closed bool
}

// startHand starts every member at once, then waits for each to be
// connected.
func (f *fleet) startHand(ctx context.Context) error {
	interval := f.set.Heartbeat
	if interval <= 0 {
		interval = heartbeat.DefaultInterval
	}
	var up sync.WaitGroup
	up.Add(f.set.N)
	upDone := up.Done // one func value for all, not one per member
	for i := range f.set.N {
		m := &handMember{url: f.urls[i], dial: f.dials[i], interval: interval, done: make(chan struct{}), up: upDone, send: f.set.Send}
		m.ctx, m.cancel = context.WithCancel(context.Background())
		f.members = append(f.members, m)
		go m.run()
	}
	all := make(chan struct{})
	go func() {
		up.Wait()
		close(all)
	}()
	select {
	case <-all:
		return nil
	case <-ctx.Done():
		// close cancels every member, so up.Wait returns: each member
		// calls up when it gives up too.
		return ctx.Err()
	}
}

// run is the reconnect loop: dial with backoff, read until the
// connection ends, again until closed.
func (m *handMember) run() {
	defer close(m.done)
	first := true
	defer func() {
		if first {
			m.up() // never connected: let the fleet's wait end
		}
	}()
	for {
		var conn *websocket.Conn
		dial := func() error {
			d := *websocket.DefaultDialer
			d.NetDialContext = m.dial
			c, _, err := d.DialContext(m.ctx, m.url, nil)
			conn = c
			return err
		}
		if backoff.Retry(dial, backoff.WithContext(backoff.NewExponentialBackOff(), m.ctx)) != nil {
			return // closed, or the backoff gave up
		}
		if !m.adopt(conn) {
			_ = conn.Close()
			return
		}
		if first {
			if !m.sendFirst(conn) {
				m.adopt(nil)
				_ = conn.Close()
				if m.ctx.Err() != nil {
					return
				}
				continue // dial again, as the loop does for any failure
			}
			first = false
			m.up()
		}
		m.serve(conn)
		m.adopt(nil)
		_ = conn.Close()
		if m.ctx.Err() != nil {
			return
		}
	}
}

// sendFirst sends the member's messages (Settings.Send) on its first
// connection, as a program that reports once and goes quiet does.
func (m *handMember) sendFirst(c *websocket.Conn) bool {
	payload := make([]byte, sendSize)
	for range m.send {
		if c.WriteMessage(websocket.BinaryMessage, payload) != nil {
			return false
		}
	}
	return true
}

// adopt records the live connection, unless the member is closed.
func (m *handMember) adopt(c *websocket.Conn) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return false
	}
	m.conn = c
	return true
}

// serve reads until the connection fails, with the ping goroutine
// running beside it.
func (m *handMember) serve(c *websocket.Conn) {
	wait := m.interval + heartbeat.DefaultTimeout
	_ = c.SetReadDeadline(time.Now().Add(wait))
	c.SetPongHandler(func(string) error { return c.SetReadDeadline(time.Now().Add(wait)) })
	stop, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(m.interval)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				if c.WriteControl(websocket.PingMessage, nil, time.Now().Add(handWriteWait)) != nil {
					return
				}
			}
		}
	}()
	for {
		if _, _, err := c.NextReader(); err != nil {
			break
		}
	}
	close(stop)
	<-stopped
}

// close ends the loop: a close frame on the live connection, which is
// then closed, and waits for both goroutines to end.
func (m *handMember) close() error {
	m.mu.Lock()
	m.closed = true
	c := m.conn
	m.mu.Unlock()
	m.cancel()
	if c != nil {
		_ = c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(handWriteWait))
		_ = c.Close()
	}
	<-m.done
	return nil
}
