package transport

import (
	"errors"
	"strings"
)

// extension is one element of a Sec-WebSocket-Extensions list: a name and
// its parameters, in order.
type extension struct {
	name   string
	params []extParam
}

// extParam is an extension parameter; hasValue tells "p" from "p=".
type extParam struct {
	name     string
	value    string
	hasValue bool
}

// errExtensionSyntax means a Sec-WebSocket-Extensions value does not
// follow the grammar of RFC 6455 §9.1.
var errExtensionSyntax = errors.New("malformed Sec-WebSocket-Extensions")

// parseExtensions parses the values of Sec-WebSocket-Extensions fields
// (RFC 6455 §9.1): a comma-separated list of extensions, each a token
// followed by ";"-separated parameters, each a token with an optional
// value that is a token or a quoted string whose content is a token.
// Empty list elements are skipped, as the list rule of RFC 9110 §5.6.1
// allows; anything else malformed is an error, never guessed at.
func parseExtensions(values []string) ([]extension, error) {
	var out []extension
	for _, v := range values {
		p := extParser{s: v}
		for {
			p.ows()
			if p.done() {
				break
			}
			if p.peek() == ',' {
				p.i++
				continue
			}
			e, err := p.extension()
			if err != nil {
				return nil, err
			}
			out = append(out, e)
			p.ows()
			if p.done() {
				break
			}
			if p.peek() != ',' {
				return nil, errExtensionSyntax
			}
			p.i++
		}
	}
	return out, nil
}

// extParser scans one header value.
type extParser struct {
	s string
	i int
}

func (p *extParser) done() bool { return p.i >= len(p.s) }
func (p *extParser) peek() byte { return p.s[p.i] }

// ows skips optional whitespace.
func (p *extParser) ows() {
	for !p.done() && (p.peek() == ' ' || p.peek() == '\t') {
		p.i++
	}
}

// token reads a non-empty token.
func (p *extParser) token() (string, error) {
	start := p.i
	for !p.done() && isTokenChar(p.peek()) {
		p.i++
	}
	if p.i == start {
		return "", errExtensionSyntax
	}
	return p.s[start:p.i], nil
}

func (p *extParser) extension() (extension, error) {
	var e extension
	var err error
	if e.name, err = p.token(); err != nil {
		return e, err
	}
	for {
		p.ows()
		if p.done() || p.peek() != ';' {
			return e, nil
		}
		p.i++
		p.ows()
		var ep extParam
		if ep.name, err = p.token(); err != nil {
			return e, err
		}
		p.ows()
		if !p.done() && p.peek() == '=' {
			p.i++
			p.ows()
			ep.hasValue = true
			if ep.value, err = p.value(); err != nil {
				return e, err
			}
		}
		e.params = append(e.params, ep)
	}
}

// value reads a parameter value: a token, or a quoted string that must
// unescape to a token (RFC 6455 §9.1).
func (p *extParser) value() (string, error) {
	if p.done() || p.peek() != '"' {
		return p.token()
	}
	p.i++
	var b strings.Builder
	for {
		if p.done() {
			return "", errExtensionSyntax
		}
		c := p.peek()
		p.i++
		switch c {
		case '"':
			v := b.String()
			if !isToken(v) {
				return "", errExtensionSyntax
			}
			return v, nil
		case '\\':
			if p.done() {
				return "", errExtensionSyntax
			}
			c = p.peek()
			p.i++
		}
		b.WriteByte(c)
	}
}
