package transport

import (
	"crypto/x509"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
)

// ExampleProxy is one of the tests' proxies, started for the package's
// examples (this file is compiled only into the tests).
type ExampleProxy struct {
	// URL is the proxy's URL with the credentials it requires.
	URL *url.URL
	// Roots verify an https:// proxy's certificate.
	Roots *x509.CertPool
	close func()
}

// Close stops the proxy.
func (p *ExampleProxy) Close() { p.close() }

// StartExampleProxy starts a proxy on loopback of the given scheme (http,
// https or socks5h) that requires user and pass, and that resolves name
// (host:port) to the address target, as a proxy's own DNS would.
func StartExampleProxy(scheme, user, pass, name, target string) (*ExampleProxy, error) {
	ui := url.UserPassword(user, pass)
	if scheme == "socks5h" {
		p, err := startSOCKSProxy(user, pass)
		if err != nil {
			return nil, err
		}
		p.hosts = map[string]string{name: target}
		return &ExampleProxy{URL: p.url(scheme, ui), close: p.close}, nil
	}
	cp := &connectProxy{
		wantAuth: "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass)),
		hosts:    map[string]string{name: target},
	}
	cp.srv = httptest.NewUnstartedServer(http.HandlerFunc(cp.serve))
	ep := &ExampleProxy{close: cp.srv.Close}
	if scheme == "https" {
		cp.srv.StartTLS()
		ep.Roots = x509.NewCertPool()
		ep.Roots.AddCert(cp.srv.Certificate())
	} else {
		cp.srv.Start()
	}
	ep.URL = cp.url(ui)
	return ep, nil
}
