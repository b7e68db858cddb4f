package transport

import (
	"encoding/binary"
	"io"
	"net"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"testing"
)

// socksProxy is a SOCKS5 server (RFC 1928, RFC 1929) on loopback for the
// tests: it requires a username and password when user is set, records
// each CONNECT, and splices the tunnel to the target, or to the address
// hosts maps the target's name to (the proxy's own DNS).
type socksProxy struct {
	ln    net.Listener
	user  string
	pass  string
	hosts map[string]string
	// reply, when not zero, refuses every CONNECT with this reply code.
	reply byte

	wg    sync.WaitGroup
	mu    sync.Mutex
	conns map[net.Conn]struct{}
	reqs  []socksRequest
}

// socksRequest is what a client asked for.
type socksRequest struct {
	methods    []byte
	user, pass string
	atyp       byte
	host       string
	port       int
}

func newSOCKSProxy(t *testing.T, user, pass string) *socksProxy {
	p, err := startSOCKSProxy(user, pass)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.close)
	return p
}

// startSOCKSProxy starts a socksProxy; close stops it.
func startSOCKSProxy(user, pass string) (*socksProxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &socksProxy{ln: ln, user: user, pass: pass, conns: map[net.Conn]struct{}{}}
	p.wg.Go(p.acceptLoop)
	return p, nil
}

// url returns the proxy's URL with scheme and user info.
func (p *socksProxy) url(scheme string, user *url.Userinfo) *url.URL {
	return &url.URL{Scheme: scheme, Host: p.ln.Addr().String(), User: user}
}

func (p *socksProxy) requests() []socksRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]socksRequest(nil), p.reqs...)
}

func (p *socksProxy) close() {
	p.ln.Close()
	p.mu.Lock()
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

func (p *socksProxy) acceptLoop() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		p.conns[c] = struct{}{}
		p.mu.Unlock()
		p.wg.Go(func() {
			defer func() {
				c.Close()
				p.mu.Lock()
				delete(p.conns, c)
				p.mu.Unlock()
			}()
			p.serve(c)
		})
	}
}

func (p *socksProxy) serve(c net.Conn) {
	var r socksRequest
	buf := make([]byte, 512)
	read := func(n int) []byte {
		if _, err := io.ReadFull(c, buf[:n]); err != nil {
			return nil
		}
		return buf[:n]
	}
	b := read(2)
	if b == nil || b[0] != 5 {
		return
	}
	if b = read(int(b[1])); b == nil {
		return
	}
	r.methods = append([]byte(nil), b...)
	want := byte(0)
	if p.user != "" {
		want = 2
	}
	if !slices.Contains(r.methods, want) {
		_, _ = c.Write([]byte{5, 0xff})
		p.record(r)
		return
	}
	if _, err := c.Write([]byte{5, want}); err != nil {
		return
	}
	if want == 2 {
		if b = read(2); b == nil || b[0] != 1 {
			return
		}
		if b = read(int(b[1]) + 1); b == nil {
			return
		}
		r.user = string(b[:len(b)-1])
		if b = read(int(b[len(b)-1])); b == nil {
			return
		}
		r.pass = string(b)
		if r.user != p.user || r.pass != p.pass {
			_, _ = c.Write([]byte{1, 1})
			p.record(r)
			return
		}
		if _, err := c.Write([]byte{1, 0}); err != nil {
			return
		}
	}
	if b = read(4); b == nil || b[0] != 5 || b[1] != 1 {
		return
	}
	r.atyp = b[3]
	switch r.atyp {
	case 1, 4:
		n := map[byte]int{1: 4, 4: 16}[r.atyp]
		if b = read(n); b == nil {
			return
		}
		r.host = net.IP(b).String()
	case 3:
		if b = read(1); b == nil {
			return
		}
		if b = read(int(b[0])); b == nil {
			return
		}
		r.host = string(b)
	default:
		return
	}
	if b = read(2); b == nil {
		return
	}
	r.port = int(binary.BigEndian.Uint16(b))
	p.record(r)
	if p.reply != 0 {
		_, _ = c.Write([]byte{5, p.reply, 0, 1, 0, 0, 0, 0, 0, 0})
		return
	}
	addr := net.JoinHostPort(r.host, strconv.Itoa(r.port))
	if a, ok := p.hosts[addr]; ok {
		addr = a
	}
	upstream, err := net.Dial("tcp", addr)
	if err != nil {
		_, _ = c.Write([]byte{5, 5, 0, 1, 0, 0, 0, 0, 0, 0})
		return
	}
	defer upstream.Close()
	// The bound address, as a domain name, to exercise that reply form.
	ok := []byte{5, 0, 0, 3, 9}
	ok = append(ok, "bound.test"[:9]...)
	ok = append(ok, 0x04, 0x38)
	if _, err := c.Write(ok); err != nil {
		return
	}
	done := make(chan struct{})
	go func() {
		_, _ = io.Copy(upstream, c)
		upstream.Close()
		close(done)
	}()
	_, _ = io.Copy(c, upstream)
	c.Close()
	<-done
}

func (p *socksProxy) record(r socksRequest) {
	p.mu.Lock()
	p.reqs = append(p.reqs, r)
	p.mu.Unlock()
}
