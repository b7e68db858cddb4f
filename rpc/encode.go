package rpc

import (
	"encoding/json"
	"strconv"
)

// marshalParams encodes a call's params once, at the call: nil means none
// (the member is left out), a json.RawMessage is taken as it is once
// checked.
func marshalParams(params any) ([]byte, error) {
	switch p := params.(type) {
	case nil:
		return nil, nil
	case json.RawMessage:
		if !json.Valid(p) {
			return nil, &json.SyntaxError{}
		}
		return p, nil
	}
	return json.Marshal(params)
}

// quoteMethod returns method as a JSON string.
func quoteMethod(method string) []byte {
	plain := true
	for i := 0; i < len(method); i++ {
		if c := method[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			plain = false
			break
		}
	}
	if plain {
		b := make([]byte, 0, len(method)+2)
		b = append(b, '"')
		b = append(b, method...)
		return append(b, '"')
	}
	b, _ := json.Marshal(method) // a string always encodes
	return b
}

// appendRequest appends one request object; id 0 means a notification
// (this package never uses 0 as an id, so the two cannot be confused).
func appendRequest(dst []byte, id uint64, method, params []byte) []byte {
	dst = append(dst, `{"jsonrpc":"2.0",`...)
	if id != 0 {
		dst = append(dst, `"id":`...)
		dst = strconv.AppendUint(dst, id, 10)
		dst = append(dst, ',')
	}
	dst = append(dst, `"method":`...)
	dst = append(dst, method...)
	if params != nil {
		dst = append(dst, `,"params":`...)
		dst = append(dst, params...)
	}
	return append(dst, '}')
}
