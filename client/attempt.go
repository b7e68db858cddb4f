package client

import (
	"context"
	"crypto/tls"
	"net"
	"net/url"
	"strconv"
	"time"

	"github.com/sturdyws/sturdy/transport"
)

// Phase is a step of a connection attempt.
type Phase int

const (
	// PhaseEndpoint: Options.Endpoint was asked for the URL and headers.
	PhaseEndpoint Phase = iota + 1
	// PhaseDial: the TCP connection to the server, or to the proxy.
	PhaseDial
	// PhaseTLS: the TLS handshake of a wss URL (with a proxy, the CONNECT
	// exchange comes before it and counts here too).
	PhaseTLS
	// PhaseHandshake: the WebSocket opening handshake, up to the server's
	// 101 accepted (with a proxy and a ws URL, CONNECT counts here).
	PhaseHandshake
	// PhaseOnConnect: Options.OnConnect.
	PhaseOnConnect
)

var phaseNames = [...]string{"", "endpoint", "dial", "tls", "handshake", "on_connect"}

// String returns the phase's name: endpoint, dial, tls, handshake or
// on_connect.
func (p Phase) String() string {
	if p > 0 && int(p) < len(phaseNames) {
		return phaseNames[p]
	}
	return "Phase(" + strconv.Itoa(int(p)) + ")"
}

// ConnectAttempt describes one connection attempt that has ended, as given
// to Observer.ConnectAttempt.
type ConnectAttempt struct {
	// Attempt counts attempts since the last successful connection, as
	// StateChange.Attempt does: 1 for the first.
	Attempt int
	// Conn is the new connection's ordinal when the attempt succeeded,
	// 0 when it failed.
	Conn uint64
	// Scheme ("ws" or "wss"), Host and Port name the server dialled. The
	// URL itself is not given: its user info, path or query may hold
	// credentials. Empty when the attempt failed before a URL was known
	// (PhaseEndpoint) or the URL could not be parsed; Port is the
	// scheme's default when the URL has none.
	Scheme, Host string
	Port         int
	// Start is when the attempt began (Endpoint, when set, ran from
	// there to Dialing), End when it ended: OnConnect returned, or the
	// step in progress failed.
	Start, End time.Time
	// Dialing is when the dial began; Dialed, Secured and Upgraded are
	// when the dial, the TLS handshake (wss only) and the WebSocket
	// handshake ended. Each is zero for a step not reached. OnConnect ran
	// from Upgraded to End.
	Dialing, Dialed, Secured, Upgraded time.Time
	// Err is why the attempt failed; nil when it succeeded.
	Err error
	// Failed is the step that failed; 0 when the attempt succeeded.
	Failed Phase
}

// Duration is how long the attempt took.
func (a ConnectAttempt) Duration() time.Duration { return a.End.Sub(a.Start) }

// attemptBegin starts the record of an attempt; the supervisor owns it.
func (c *Client) attemptBegin(n int) {
	if c.opts.Observer != nil {
		c.ob.att = ConnectAttempt{Attempt: n, Start: time.Now()}
	}
}

// attemptDialing notes the URL about to be dialled and makes dopts mark
// the end of the dial and of TLS in the attempt's record. Both hooks run
// on the supervisor goroutine, inside transport.Dial.
func (c *Client) attemptDialing(rawURL string, dopts *transport.DialOptions) {
	if c.opts.Observer == nil {
		return
	}
	c.ob.att.Dialing = time.Now()
	if u, err := url.Parse(rawURL); err == nil {
		c.ob.att.Scheme, c.ob.att.Host, c.ob.att.Port = serverOf(u)
	}
	dial := dopts.NetDialContext
	if dial == nil {
		dial = new(net.Dialer).DialContext // transport's own default
	}
	dopts.NetDialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		nc, err := dial(ctx, network, addr)
		if err == nil {
			c.ob.att.Dialed = time.Now()
		}
		return nc, err
	}
	if c.ob.att.Scheme == "wss" {
		cfg := &tls.Config{}
		if dopts.TLSConfig != nil {
			cfg = dopts.TLSConfig.Clone()
		}
		verify := cfg.VerifyConnection
		// VerifyConnection runs at the end of every handshake, resumed or
		// not, whatever InsecureSkipVerify says.
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			if verify != nil {
				if err := verify(cs); err != nil {
					return err
				}
			}
			c.ob.att.Secured = time.Now()
			return nil
		}
		dopts.TLSConfig = cfg
	}
}

// attemptUpgraded marks the end of the WebSocket handshake.
func (c *Client) attemptUpgraded() {
	if c.opts.Observer != nil {
		c.ob.att.Upgraded = time.Now()
	}
}

// attemptEnd reports the attempt; conn is the ordinal the connection gets
// if err is nil.
func (c *Client) attemptEnd(err error, conn uint64) {
	if c.opts.Observer == nil {
		return
	}
	a := c.ob.att
	a.End, a.Err = time.Now(), err
	switch {
	case err == nil:
		a.Conn = conn
	case a.Dialing.IsZero():
		a.Failed = PhaseEndpoint
	case a.Dialed.IsZero():
		a.Failed = PhaseDial
	case a.Scheme == "wss" && a.Secured.IsZero():
		a.Failed = PhaseTLS
	case a.Upgraded.IsZero():
		a.Failed = PhaseHandshake
	default:
		a.Failed = PhaseOnConnect
	}
	c.guard("Observer.ConnectAttempt", func() { c.opts.Observer.ConnectAttempt(a) })
}

// serverOf returns the scheme, host and port of a WebSocket URL, as
// transport.Dial maps them: http and https are ws and wss.
func serverOf(u *url.URL) (scheme, host string, port int) {
	switch u.Scheme {
	case "wss", "https":
		scheme, port = "wss", 443
	default:
		scheme, port = "ws", 80
	}
	if p, err := strconv.Atoi(u.Port()); err == nil {
		port = p
	}
	return scheme, u.Hostname(), port
}
