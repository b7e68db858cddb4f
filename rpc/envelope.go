package rpc

import (
	"bytes"
	"encoding/json"
)

// envelope is one JSON-RPC 2.0 message decoded once: the spans of its
// top-level members, aliasing the payload it was parsed from, so params
// and result stay raw bytes until the program asks for them. A member
// that is absent has a nil span; one that is null has the span "null".
type envelope struct {
	id, method, params, result, err []byte
}

// parse fills e from obj, which must already be known to be valid JSON
// (json.Valid): validity is checked once for the whole message, without
// allocating, and this walk only finds where each member starts and ends.
// It reports false when obj is not an object.
func (e *envelope) parse(obj []byte) bool {
	*e = envelope{}
	return members(obj, func(key, value []byte) {
		switch string(key) { // no allocation: the conversion is only compared
		case `"id"`:
			e.id = value
		case `"method"`:
			e.method = value
		case `"params"`:
			e.params = value
		case `"result"`:
			e.result = value
		case `"error"`:
			e.err = value
		default:
			if bytes.IndexByte(key, '\\') >= 0 {
				// A key spelled with escapes ("\u0069d"): rare, so decoded
				// the slow way and matched again.
				var k string
				if json.Unmarshal(key, &k) == nil && k != "" && bytes.IndexByte([]byte(k), '\\') < 0 {
					q, _ := json.Marshal(k)
					e.set(q, value)
				}
			}
		}
	})
}

// set stores value under an already unescaped, quoted key.
func (e *envelope) set(key, value []byte) {
	switch string(key) {
	case `"id"`:
		e.id = value
	case `"method"`:
		e.method = value
	case `"params"`:
		e.params = value
	case `"result"`:
		e.result = value
	case `"error"`:
		e.err = value
	}
}

// members calls f with the quoted key and raw value of each member of the
// valid JSON object p, in order, and reports false when p is not an
// object.
func members(p []byte, f func(key, value []byte)) bool {
	i := skipSpace(p, 0)
	if i >= len(p) || p[i] != '{' {
		return false
	}
	i = skipSpace(p, i+1)
	if i < len(p) && p[i] == '}' {
		return true
	}
	for i < len(p) {
		k := i
		i = skipString(p, i)
		key := p[k:i]
		i = skipSpace(p, i)
		i = skipSpace(p, i+1) // the colon
		v := i
		i = skipValue(p, i)
		f(key, p[v:i])
		i = skipSpace(p, i)
		if i >= len(p) || p[i] == '}' {
			return true
		}
		i = skipSpace(p, i+1) // the comma
	}
	return true
}

// elements calls f with each raw element of the valid JSON array p and
// reports false when p is not an array.
func elements(p []byte, f func(elem []byte)) bool {
	i := skipSpace(p, 0)
	if i >= len(p) || p[i] != '[' {
		return false
	}
	i = skipSpace(p, i+1)
	if i < len(p) && p[i] == ']' {
		return true
	}
	for i < len(p) {
		v := i
		i = skipValue(p, i)
		f(p[v:i])
		i = skipSpace(p, i)
		if i >= len(p) || p[i] == ']' {
			return true
		}
		i = skipSpace(p, i+1)
	}
	return true
}

// isArray reports whether the valid JSON text p is an array.
func isArray(p []byte) bool {
	i := skipSpace(p, 0)
	return i < len(p) && p[i] == '['
}

func skipSpace(p []byte, i int) int {
	for i < len(p) && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index just past the string starting at p[i].
func skipString(p []byte, i int) int {
	for i++; i < len(p); i++ {
		switch p[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return i
}

// skipValue returns the index just past the value starting at p[i]. In
// valid JSON, brackets outside strings nest, so counting depth is enough.
func skipValue(p []byte, i int) int {
	if i >= len(p) {
		return i
	}
	switch p[i] {
	case '"':
		return skipString(p, i)
	case '{', '[':
		depth := 0
		for i < len(p) {
			switch p[i] {
			case '"':
				i = skipString(p, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return i
	default: // number, true, false, null
		for i < len(p) {
			switch p[i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return i
			}
			i++
		}
		return i
	}
}

// isNull reports a member that is absent or null.
func isNull(v []byte) bool { return v == nil || string(v) == "null" }

// parseID reads a response id that this package could have written: a
// decimal number without sign, fraction or exponent.
func parseID(v []byte) (uint64, bool) {
	if len(v) == 0 || len(v) > 20 {
		return 0, false
	}
	var n uint64
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if n > (1<<64-1-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}
