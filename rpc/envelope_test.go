package rpc

import (
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEnvelopeParse(t *testing.T) {
	for _, tc := range []struct {
		in                               string
		id, method, params, result, errm string
	}{
		{in: `{"jsonrpc":"2.0","id":7,"result":{"a":[1,"}]"]}}`, id: `7`, result: `{"a":[1,"}]"]}`},
		{in: ` { "id" : "x" , "error" : {"code":1} } `, id: `"x"`, errm: `{"code":1}`},
		{in: `{"method":"a_subscription","params":{"subscription":"0x1","result":"q\"\\"}}`, method: `"a_subscription"`, params: `{"subscription":"0x1","result":"q\"\\"}`},
		{in: `{"\u0069d":12,"result":null}`, id: `12`, result: `null`},
		{in: `{}`},
	} {
		var e envelope
		require.True(t, e.parse([]byte(tc.in)), tc.in)
		assert.Equal(t, tc.id, string(e.id), tc.in)
		assert.Equal(t, tc.method, string(e.method), tc.in)
		assert.Equal(t, tc.params, string(e.params), tc.in)
		assert.Equal(t, tc.result, string(e.result), tc.in)
		assert.Equal(t, tc.errm, string(e.err), tc.in)
	}
	var e envelope
	assert.False(t, e.parse([]byte(`[1]`)))
	assert.False(t, e.parse([]byte(`"id"`)))
}

func TestParseID(t *testing.T) {
	for in, want := range map[string]uint64{"1": 1, "18446744073709551615": 1<<64 - 1} {
		got, ok := parseID([]byte(in))
		assert.True(t, ok, in)
		assert.Equal(t, want, got)
	}
	for _, in := range []string{"", "-1", "1.0", "1e3", `"1"`, "18446744073709551616", "null", "123456789012345678901"} {
		_, ok := parseID([]byte(in))
		assert.False(t, ok, in)
	}
}

// FuzzMembers checks the envelope walk against encoding/json on every
// valid object: same members, same raw values, the last of a repeated key
// winning.
func FuzzMembers(f *testing.F) {
	for _, s := range []string{
		`{"jsonrpc":"2.0","id":1,"result":"0x1"}`,
		`{"method":"eth_subscription","params":{"subscription":"0xab","result":{"number":"0x10"}}}`,
		`{"a":[{"b":"]}"}],"c":-1.5e3,"d":true,"e":null}`,
		`{"k\"ey":"v\\","k\"ey":2}`,
		` {  } `,
		`[{"id":1,"result":1},{"id":2,"error":{"code":-1,"message":"x"}}]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		if !json.Valid(p) {
			return
		}
		var want map[string]json.RawMessage
		isObj := json.Unmarshal(p, &want) == nil
		got := map[string]string{}
		ok := members(p, func(key, value []byte) {
			var k string
			if err := json.Unmarshal(key, &k); err != nil {
				t.Fatalf("key %q is not a JSON string: %v", key, err)
			}
			got[k] = string(value)
		})
		if ok != isObj {
			// A valid non-object (array, string, number) is not an object.
			if ok || json.Unmarshal(p, new(map[string]any)) == nil {
				t.Fatalf("members reported %v for %q", ok, p)
			}
			return
		}
		if !ok {
			return
		}
		if len(got) != len(want) {
			t.Fatalf("%q: got %d members, want %d", p, len(got), len(want))
		}
		for k, v := range want {
			if got[k] != string(v) {
				t.Fatalf("%q: member %q = %q, want %q", p, k, got[k], v)
			}
		}
	})
}

// FuzzRoute feeds whatever a hostile server may send to the router of a
// client with a call and a subscription waiting: no panic, and an answer
// reaches only the call whose id it carries.
func FuzzRoute(f *testing.F) {
	for _, s := range []string{
		`{"jsonrpc":"2.0","id":1,"result":"ok"}`,
		`{"jsonrpc":"2.0","id":2,"result":"other"}`,
		`{"jsonrpc":"2.0","id":1,"error":{"code":"x"}}`,
		`{"jsonrpc":"2.0","id":1}`,
		`[{"id":1,"result":1},{"id":1,"result":2}]`,
		`{"method":"x_subscription","params":{"subscription":"0x1","result":5}}`,
		`{"method":"x_subscription","params":[1]}`,
		`{"method":"other","params":{}, "id": 3}`,
		`{"id":null,"error":{"code":-32700,"message":"parse"}}`,
		`not json`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		c := &Client{
			pending: map[uint64]*call{}, subs: map[string]*Subscription{},
			active: map[*Subscription]struct{}{}, dialect: Eth{}, log: slog.New(slog.DiscardHandler),
			opts: Options{OnNotification: func(string, json.RawMessage) {}},
		}
		cl := newCall([]request{{method: []byte(`"m"`)}})
		c.mu.Lock()
		c.register(cl, 1)
		c.mu.Unlock()
		s := &Subscription{c: c, max: 2, ready: make(chan struct{}, 1), room: make(chan struct{}, 1)}
		c.subs[`"0x1"`] = s
		c.route(append([]byte(nil), p...))
		select {
		case <-cl.done:
			if cl.first != 1 {
				t.Fatalf("call with id %d completed", cl.first)
			}
		default:
		}
		if s.events > s.max {
			t.Fatalf("%d events buffered past the bound %d", s.events, s.max)
		}
	})
}
