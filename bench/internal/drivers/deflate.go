package drivers

import (
	"context"
	"errors"

	"github.com/coder/websocket"
	gorilla "github.com/gorilla/websocket"
	"github.com/sturdyws/sturdy/transport"
)

// Deflate returns the compressing variant of d, for the libraries that
// implement permessage-deflate in their client (sturdy, gorilla, coder),
// and false for the others; with context, the variant that keeps its
// compression context across messages (not gorilla, which cannot). The
// variant has the same name and the same read and write paths as d; only
// its dial offers compression, each library's way, with its default level
// and threshold:
//
//   - sturdy: DialOptions.Compression = &CompressionOptions{} (threshold
//     128 B; level 1 when its context is reset per message, 5 when kept);
//     the server's answer sets the mode;
//   - gorilla: Dialer.EnableCompression (it offers no context takeover
//     both ways, its only mode, and compresses every message at level 1);
//   - coder: DialOptions.CompressionMode = CompressionNoContextTakeover
//     (threshold 512 B) or CompressionContextTakeover (threshold 128 B).
func Deflate(d Driver, context bool) (Driver, bool) {
	switch d.(type) {
	case Sturdy:
		return sturdyDeflate{context}, true
	case Gorilla:
		return gorillaDeflate{}, !context
	case Coder:
		return coderDeflate{context}, true
	}
	return nil, false
}

type sturdyDeflate struct{ context bool }

func (sturdyDeflate) Name() string { return Sturdy{}.Name() }

func (s sturdyDeflate) Dial(ctx context.Context, url string, netDial NetDial) (Conn, error) {
	c, _, err := transport.Dial(ctx, url, &transport.DialOptions{NetDialContext: netDial, Compression: &transport.CompressionOptions{}})
	if err != nil {
		return nil, err
	}
	if p, ok := c.Compression(); !ok || p.ClientNoContextTakeover == s.context {
		c.CloseNow()
		return nil, errNotCompressed
	}
	return &sturdyConn{c: c}, nil
}

type gorillaDeflate struct{}

func (gorillaDeflate) Name() string { return Gorilla{}.Name() }

func (gorillaDeflate) Dial(ctx context.Context, url string, netDial NetDial) (Conn, error) {
	d := *gorilla.DefaultDialer
	d.NetDialContext = netDial
	d.EnableCompression = true
	c, resp, err := d.DialContext(ctx, url, nil)
	if err != nil {
		return nil, err
	}
	if resp.Header.Get("Sec-WebSocket-Extensions") == "" {
		c.Close()
		return nil, errNotCompressed
	}
	return &gorillaConn{c: c}, nil
}

type coderDeflate struct{ context bool }

func (coderDeflate) Name() string { return Coder{}.Name() }

func (k coderDeflate) Dial(ctx context.Context, url string, netDial NetDial) (Conn, error) {
	mode := websocket.CompressionNoContextTakeover
	if k.context {
		mode = websocket.CompressionContextTakeover
	}
	o := coderOptions(netDial)
	o.CompressionMode = mode
	c, resp, err := websocket.Dial(ctx, url, o)
	if err != nil {
		return nil, err
	}
	if resp.Header.Get("Sec-WebSocket-Extensions") == "" {
		c.CloseNow()
		return nil, errNotCompressed
	}
	c.SetReadLimit(64 << 20)
	return &coderConn{c: c}, nil
}

// errNotCompressed reports a server that did not accept the offer, or
// not in the mode asked for.
var errNotCompressed = errors.New("drivers: the server declined permessage-deflate")
