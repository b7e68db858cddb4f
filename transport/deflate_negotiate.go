package transport

import (
	"strconv"
)

// permessage-deflate's extension token and parameters (RFC 7692 §7).
const (
	pmdName                = "permessage-deflate"
	pmdServerNoTakeover    = "server_no_context_takeover"
	pmdClientNoTakeover    = "client_no_context_takeover"
	pmdServerMaxWindowBits = "server_max_window_bits"
	pmdClientMaxWindowBits = "client_max_window_bits"
)

// Bits for the parameters seen in one offer or response, to catch repeats.
const (
	pmdParamServerNoTO uint = 1 << iota
	pmdParamClientNoTO
	pmdParamServerBits
	pmdParamClientBits
)

// pmdParamBit maps a parameter name to its bit, or 0 for an unknown name.
func pmdParamBit(name string) uint {
	switch name {
	case pmdServerNoTakeover:
		return pmdParamServerNoTO
	case pmdClientNoTakeover:
		return pmdParamClientNoTO
	case pmdServerMaxWindowBits:
		return pmdParamServerBits
	case pmdClientMaxWindowBits:
		return pmdParamClientBits
	}
	return 0
}

// parseWindowBits parses a window size: a decimal integer from 8 to 15
// without leading zeros (RFC 7692 §7.1.2.1).
func parseWindowBits(s string) (int, bool) {
	if len(s) == 0 || len(s) > 2 || s[0] == '0' {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < minWindowBits || n > maxWindowBits {
		return 0, false
	}
	return n, true
}

// appendDeflateOffer appends the client's permessage-deflate offer: one
// offer, with the parameters the options ask for.
func appendDeflateOffer(b []byte, o *CompressionOptions) []byte {
	b = append(b, pmdName...)
	if o.ClientNoContextTakeover {
		b = append(b, "; "+pmdClientNoTakeover...)
	}
	if o.ServerNoContextTakeover {
		b = append(b, "; "+pmdServerNoTakeover...)
	}
	if o.ClientMaxWindowBits != 0 {
		b = append(b, "; "+pmdClientMaxWindowBits+"="...)
		b = strconv.AppendInt(b, int64(o.ClientMaxWindowBits), 10)
	}
	if o.ServerMaxWindowBits != 0 {
		b = append(b, "; "+pmdServerMaxWindowBits+"="...)
		b = strconv.AppendInt(b, int64(o.ServerMaxWindowBits), 10)
	}
	return b
}

// clientNegotiate checks the server's Sec-WebSocket-Extensions values
// against what the client offered (o, nil when it offered nothing), as
// RFC 7692 §7 and RFC 6455 §9.1 require of a client. It returns the
// parameters to run with (nil when the server declined), or what is wrong.
func clientNegotiate(values []string, o *CompressionOptions) (*DeflateParams, string) {
	if len(values) == 0 {
		return nil, ""
	}
	exts, err := parseExtensions(values)
	if err != nil {
		return nil, "malformed Sec-WebSocket-Extensions"
	}
	if len(exts) == 0 {
		return nil, "empty Sec-WebSocket-Extensions"
	}
	if o == nil {
		return nil, "server selected an extension the client did not offer"
	}
	var accepted *extension
	for i := range exts {
		switch {
		case exts[i].name != pmdName:
			return nil, "server selected an extension the client did not offer"
		case accepted != nil:
			return nil, "server selected permessage-deflate more than once"
		}
		accepted = &exts[i]
	}
	p := &DeflateParams{
		ClientMaxWindowBits: maxWindowBits,
		ServerMaxWindowBits: maxWindowBits,
		// An offered client_no_context_takeover is a promise the client
		// keeps whether or not the server echoes it (§7.1.1.2).
		ClientNoContextTakeover: o.ClientNoContextTakeover,
	}
	if o.ClientMaxWindowBits != 0 {
		// So is an offered client_max_window_bits: the client never uses
		// a larger window, even if the response leaves it out (§7.1.2.2).
		p.ClientMaxWindowBits = o.ClientMaxWindowBits
	}
	var seen uint
	for _, ep := range accepted.params {
		bit := pmdParamBit(ep.name)
		if bit == 0 {
			return nil, "unknown permessage-deflate parameter in response"
		}
		if seen&bit != 0 {
			return nil, "permessage-deflate parameter " + ep.name + " repeated"
		}
		seen |= bit
		switch bit {
		case pmdParamServerNoTO, pmdParamClientNoTO:
			if ep.hasValue {
				return nil, ep.name + " must not have a value"
			}
			if bit == pmdParamServerNoTO {
				// Accepted even when not offered: the server may always
				// forgo its own context (§7.1.1.1, errata 4982).
				p.ServerNoContextTakeover = true
			} else {
				p.ClientNoContextTakeover = true
			}
		case pmdParamServerBits:
			n, ok := parseWindowBits(ep.value)
			if !ep.hasValue || !ok {
				return nil, "invalid server_max_window_bits value"
			}
			if o.ServerMaxWindowBits != 0 && n > o.ServerMaxWindowBits {
				return nil, "server_max_window_bits larger than requested"
			}
			// Unrequested is fine too: a smaller server window only
			// means less for the client's decompressor to remember.
			p.ServerMaxWindowBits = n
		case pmdParamClientBits:
			if o.ClientMaxWindowBits == 0 {
				// §7.1.2.2: only in answer to an offer that has it.
				return nil, "client_max_window_bits in response but not offered"
			}
			n, ok := parseWindowBits(ep.value)
			if !ep.hasValue || !ok {
				return nil, "invalid client_max_window_bits value"
			}
			if n > o.ClientMaxWindowBits {
				return nil, "client_max_window_bits larger than offered"
			}
			p.ClientMaxWindowBits = n
		}
	}
	return p, ""
}

// serverNegotiate picks the first permessage-deflate offer in the
// client's Sec-WebSocket-Extensions values that the server can accept
// (RFC 7692 §5.1, §7.1), given the server's options. It returns the
// response value and the parameters, or "" and nil when it declines all
// of them. A malformed header or offer is declined, not refused: the
// connection then runs uncompressed.
func serverNegotiate(values []string, o *CompressionOptions) (string, *DeflateParams) {
	if o == nil || len(values) == 0 {
		return "", nil
	}
	exts, err := parseExtensions(values)
	if err != nil {
		return "", nil
	}
	for _, e := range exts {
		if e.name != pmdName {
			continue
		}
		if resp, p, ok := acceptOffer(e.params, o); ok {
			return resp, p
		}
	}
	return "", nil
}

// acceptOffer answers one offer, or declines it (§7: unknown parameter,
// invalid value or repeated parameter).
func acceptOffer(params []extParam, o *CompressionOptions) (string, *DeflateParams, bool) {
	var seen uint
	var offerServerBits, offerClientBits int
	clientBitsOffered := false
	p := &DeflateParams{
		ClientMaxWindowBits:     maxWindowBits,
		ServerMaxWindowBits:     maxWindowBits,
		ClientNoContextTakeover: o.ClientNoContextTakeover,
		ServerNoContextTakeover: o.ServerNoContextTakeover,
	}
	for _, ep := range params {
		bit := pmdParamBit(ep.name)
		if bit == 0 || seen&bit != 0 {
			return "", nil, false
		}
		seen |= bit
		switch bit {
		case pmdParamServerNoTO:
			if ep.hasValue {
				return "", nil, false
			}
			p.ServerNoContextTakeover = true
		case pmdParamClientNoTO:
			if ep.hasValue {
				return "", nil, false
			}
			p.ClientNoContextTakeover = true
		case pmdParamServerBits:
			n, ok := parseWindowBits(ep.value)
			if !ep.hasValue || !ok {
				return "", nil, false
			}
			offerServerBits = n
		case pmdParamClientBits:
			clientBitsOffered = true
			if ep.hasValue {
				n, ok := parseWindowBits(ep.value)
				if !ok {
					return "", nil, false
				}
				offerClientBits = n
			}
		}
	}
	// The server's window: the smaller of what the client asked and what
	// the server wants, if either said anything.
	if offerServerBits != 0 {
		p.ServerMaxWindowBits = offerServerBits
	}
	if o.ServerMaxWindowBits != 0 && o.ServerMaxWindowBits < p.ServerMaxWindowBits {
		p.ServerMaxWindowBits = o.ServerMaxWindowBits
	}
	// The client's window can be limited only if the client said it
	// supports the parameter; otherwise the server takes the full window
	// (its decompressor handles any size, so nothing is lost).
	if clientBitsOffered {
		if offerClientBits != 0 {
			p.ClientMaxWindowBits = offerClientBits
		}
		if o.ClientMaxWindowBits != 0 && o.ClientMaxWindowBits < p.ClientMaxWindowBits {
			p.ClientMaxWindowBits = o.ClientMaxWindowBits
		}
	}
	b := []byte(pmdName)
	if p.ServerNoContextTakeover {
		b = append(b, "; "+pmdServerNoTakeover...)
	}
	if p.ClientNoContextTakeover {
		b = append(b, "; "+pmdClientNoTakeover...)
	}
	// An offered server_max_window_bits is accepted by answering it
	// (§7.1.2.1), even with 15.
	if offerServerBits != 0 || p.ServerMaxWindowBits != maxWindowBits {
		b = append(b, "; "+pmdServerMaxWindowBits+"="...)
		b = strconv.AppendInt(b, int64(p.ServerMaxWindowBits), 10)
	}
	if clientBitsOffered && (offerClientBits != 0 || o.ClientMaxWindowBits != 0) {
		b = append(b, "; "+pmdClientMaxWindowBits+"="...)
		b = strconv.AppendInt(b, int64(p.ClientMaxWindowBits), 10)
	}
	return string(b), p, true
}
