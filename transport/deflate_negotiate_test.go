package transport

import (
	"errors"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// full is the window every side gets unless it is limited.
const full = maxWindowBits

// TestClientNegotiate_Section7 is the client's side of RFC 7692 §7: what
// it accepts from a server and what fails the handshake.
func TestClientNegotiate_Section7(t *testing.T) {
	none := &CompressionOptions{}
	tests := []struct {
		name    string
		offer   *CompressionOptions
		resp    []string
		want    *DeflateParams // nil with wantErr false: declined
		wantErr bool
	}{
		{"declined", none, nil, nil, false},
		{"accepted plain", none, []string{"permessage-deflate"}, &DeflateParams{ClientMaxWindowBits: full, ServerMaxWindowBits: full}, false},
		{"server_no_context_takeover not offered (errata 4982)", none, []string{"permessage-deflate; server_no_context_takeover"},
			&DeflateParams{ServerNoContextTakeover: true, ClientMaxWindowBits: full, ServerMaxWindowBits: full}, false},
		{"server_no_context_takeover offered and echoed", &CompressionOptions{ServerNoContextTakeover: true},
			[]string{"permessage-deflate; server_no_context_takeover"},
			&DeflateParams{ServerNoContextTakeover: true, ClientMaxWindowBits: full, ServerMaxWindowBits: full}, false},
		{"client_no_context_takeover offered, response omits it", &CompressionOptions{ClientNoContextTakeover: true},
			[]string{"permessage-deflate"},
			&DeflateParams{ClientNoContextTakeover: true, ClientMaxWindowBits: full, ServerMaxWindowBits: full}, false},
		{"client_no_context_takeover asked by the server", none, []string{"permessage-deflate; client_no_context_takeover"},
			&DeflateParams{ClientNoContextTakeover: true, ClientMaxWindowBits: full, ServerMaxWindowBits: full}, false},
		{"server_max_window_bits as requested", &CompressionOptions{ServerMaxWindowBits: 10},
			[]string{"permessage-deflate; server_max_window_bits=10"},
			&DeflateParams{ClientMaxWindowBits: full, ServerMaxWindowBits: 10}, false},
		{"server_max_window_bits smaller than requested", &CompressionOptions{ServerMaxWindowBits: 10},
			[]string{"permessage-deflate; server_max_window_bits=8"},
			&DeflateParams{ClientMaxWindowBits: full, ServerMaxWindowBits: 8}, false},
		{"server_max_window_bits unrequested", none, []string{"permessage-deflate; server_max_window_bits=12"},
			&DeflateParams{ClientMaxWindowBits: full, ServerMaxWindowBits: 12}, false},
		{"server_max_window_bits quoted", none, []string{`permessage-deflate; server_max_window_bits="12"`},
			&DeflateParams{ClientMaxWindowBits: full, ServerMaxWindowBits: 12}, false},
		{"server_max_window_bits larger than requested", &CompressionOptions{ServerMaxWindowBits: 10},
			[]string{"permessage-deflate; server_max_window_bits=11"}, nil, true},
		{"client_max_window_bits answered", &CompressionOptions{ClientMaxWindowBits: 12},
			[]string{"permessage-deflate; client_max_window_bits=10"},
			&DeflateParams{ClientMaxWindowBits: 10, ServerMaxWindowBits: full}, false},
		// §7.1.2.2: the offered value binds the client even when the
		// response leaves it out.
		{"client_max_window_bits offered, response omits it", &CompressionOptions{ClientMaxWindowBits: 12},
			[]string{"permessage-deflate"}, &DeflateParams{ClientMaxWindowBits: 12, ServerMaxWindowBits: full}, false},
		{"client_max_window_bits not offered", none, []string{"permessage-deflate; client_max_window_bits=15"}, nil, true},
		{"client_max_window_bits larger than offered", &CompressionOptions{ClientMaxWindowBits: 12},
			[]string{"permessage-deflate; client_max_window_bits=13"}, nil, true},
		{"client_max_window_bits without value", &CompressionOptions{ClientMaxWindowBits: 12},
			[]string{"permessage-deflate; client_max_window_bits"}, nil, true},
		{"server_max_window_bits without value", none, []string{"permessage-deflate; server_max_window_bits"}, nil, true},
		{"window bits 7", none, []string{"permessage-deflate; server_max_window_bits=7"}, nil, true},
		{"window bits 16", none, []string{"permessage-deflate; server_max_window_bits=16"}, nil, true},
		{"window bits leading zero", none, []string{"permessage-deflate; server_max_window_bits=09"}, nil, true},
		{"window bits not a number", none, []string{"permessage-deflate; server_max_window_bits=ten"}, nil, true},
		{"window bits empty", none, []string{`permessage-deflate; server_max_window_bits=""`}, nil, true},
		{"server_no_context_takeover with value", none, []string{"permessage-deflate; server_no_context_takeover=1"}, nil, true},
		{"client_no_context_takeover with value", none, []string{"permessage-deflate; client_no_context_takeover=true"}, nil, true},
		{"unknown parameter", none, []string{"permessage-deflate; mem_level=8"}, nil, true},
		{"duplicated no-value parameter", none, []string{"permessage-deflate; server_no_context_takeover; server_no_context_takeover"}, nil, true},
		{"duplicated window bits", &CompressionOptions{ServerMaxWindowBits: 12},
			[]string{"permessage-deflate; server_max_window_bits=10; server_max_window_bits=10"}, nil, true},
		{"permessage-deflate twice in one field", none, []string{"permessage-deflate, permessage-deflate"}, nil, true},
		{"permessage-deflate twice in two fields", none, []string{"permessage-deflate", "permessage-deflate"}, nil, true},
		{"extension not offered", none, []string{"x-webkit-deflate-frame"}, nil, true},
		{"extra extension", none, []string{"permessage-deflate, x-foo"}, nil, true},
		{"nothing offered", nil, []string{"permessage-deflate"}, nil, true},
		{"malformed", none, []string{"permessage-deflate;"}, nil, true},
		{"empty", none, []string{""}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, problem := clientNegotiate(tt.resp, tt.offer)
			if tt.wantErr {
				assert.NotEmpty(t, problem)
				assert.Nil(t, p)
				return
			}
			require.Empty(t, problem)
			assert.Equal(t, tt.want, p)
		})
	}
}

// TestServerNegotiate_Section7 is the server's side: which offer Accept
// takes and how it answers.
func TestServerNegotiate_Section7(t *testing.T) {
	none := &CompressionOptions{}
	tests := []struct {
		name   string
		opts   *CompressionOptions
		offers []string
		resp   string // "" when every offer is declined
		want   *DeflateParams
	}{
		{"compression off", nil, []string{"permessage-deflate"}, "", nil},
		{"no offer", none, nil, "", nil},
		{"plain", none, []string{"permessage-deflate"}, "permessage-deflate",
			&DeflateParams{ClientMaxWindowBits: full, ServerMaxWindowBits: full}},
		{"client_max_window_bits support needs no answer", none, []string{"permessage-deflate; client_max_window_bits"},
			"permessage-deflate", &DeflateParams{ClientMaxWindowBits: full, ServerMaxWindowBits: full}},
		{"client_max_window_bits hint echoed", none, []string{"permessage-deflate; client_max_window_bits=9"},
			"permessage-deflate; client_max_window_bits=9", &DeflateParams{ClientMaxWindowBits: 9, ServerMaxWindowBits: full}},
		{"server limits the client's window", &CompressionOptions{ClientMaxWindowBits: 10},
			[]string{"permessage-deflate; client_max_window_bits"},
			"permessage-deflate; client_max_window_bits=10", &DeflateParams{ClientMaxWindowBits: 10, ServerMaxWindowBits: full}},
		{"client window limit needs the client's support", &CompressionOptions{ClientMaxWindowBits: 10},
			[]string{"permessage-deflate"}, "permessage-deflate", &DeflateParams{ClientMaxWindowBits: full, ServerMaxWindowBits: full}},
		{"server_max_window_bits requested", none, []string{"permessage-deflate; server_max_window_bits=10"},
			"permessage-deflate; server_max_window_bits=10", &DeflateParams{ClientMaxWindowBits: full, ServerMaxWindowBits: 10}},
		{"server_max_window_bits=15 requested is answered", none, []string{"permessage-deflate; server_max_window_bits=15"},
			"permessage-deflate; server_max_window_bits=15", &DeflateParams{ClientMaxWindowBits: full, ServerMaxWindowBits: full}},
		{"server's own window smaller than requested", &CompressionOptions{ServerMaxWindowBits: 9},
			[]string{"permessage-deflate; server_max_window_bits=12"},
			"permessage-deflate; server_max_window_bits=9", &DeflateParams{ClientMaxWindowBits: full, ServerMaxWindowBits: 9}},
		{"server's window declared unasked", &CompressionOptions{ServerMaxWindowBits: 11},
			[]string{"permessage-deflate"},
			"permessage-deflate; server_max_window_bits=11", &DeflateParams{ClientMaxWindowBits: full, ServerMaxWindowBits: 11}},
		{"no context takeover asked by the client", none,
			[]string{"permessage-deflate; client_no_context_takeover; server_no_context_takeover"},
			"permessage-deflate; server_no_context_takeover; client_no_context_takeover",
			&DeflateParams{ClientNoContextTakeover: true, ServerNoContextTakeover: true, ClientMaxWindowBits: full, ServerMaxWindowBits: full}},
		{"no context takeover imposed by the server", &CompressionOptions{ClientNoContextTakeover: true, ServerNoContextTakeover: true},
			[]string{"permessage-deflate"},
			"permessage-deflate; server_no_context_takeover; client_no_context_takeover",
			&DeflateParams{ClientNoContextTakeover: true, ServerNoContextTakeover: true, ClientMaxWindowBits: full, ServerMaxWindowBits: full}},
		{"first acceptable offer wins", none,
			[]string{"permessage-deflate; foo, permessage-deflate; server_max_window_bits=12", "permessage-deflate"},
			"permessage-deflate; server_max_window_bits=12", &DeflateParams{ClientMaxWindowBits: full, ServerMaxWindowBits: 12}},
		{"other extensions skipped", none, []string{"x-webkit-deflate-frame, permessage-deflate"}, "permessage-deflate",
			&DeflateParams{ClientMaxWindowBits: full, ServerMaxWindowBits: full}},
		{"unknown parameter declined", none, []string{"permessage-deflate; foo"}, "", nil},
		{"duplicate declined", none, []string{"permessage-deflate; client_max_window_bits; client_max_window_bits"}, "", nil},
		{"invalid value declined", none, []string{"permessage-deflate; server_max_window_bits=20"}, "", nil},
		{"server_max_window_bits without value declined", none, []string{"permessage-deflate; server_max_window_bits"}, "", nil},
		{"value on a flag declined", none, []string{"permessage-deflate; server_no_context_takeover=yes"}, "", nil},
		{"malformed header declined", none, []string{"permessage-deflate; ="}, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, p := serverNegotiate(tt.offers, tt.opts)
			assert.Equal(t, tt.resp, resp)
			assert.Equal(t, tt.want, p)
		})
	}
}

// TestNegotiationAgrees runs every combination of client and server
// options through both sides: the server's answer to the client's offer
// must be one the client accepts, with the same parameters.
func TestNegotiationAgrees(t *testing.T) {
	var all []CompressionOptions
	for _, cnt := range []bool{false, true} {
		for _, snt := range []bool{false, true} {
			for _, cb := range []int{0, 8, 12, 15} {
				for _, sb := range []int{0, 9, 15} {
					all = append(all, CompressionOptions{ClientNoContextTakeover: cnt, ServerNoContextTakeover: snt,
						ClientMaxWindowBits: cb, ServerMaxWindowBits: sb})
				}
			}
		}
	}
	for _, client := range all {
		offer := string(appendDeflateOffer(nil, &client))
		for _, server := range all {
			resp, sp := serverNegotiate([]string{offer}, &server)
			require.NotNil(t, sp, "server declined %q with %+v", offer, server)
			cp, problem := clientNegotiate([]string{resp}, &client)
			require.Empty(t, problem, "client refused %q to offer %q", resp, offer)
			require.Equal(t, *sp, *cp, "offer %q, answer %q", offer, resp)
		}
	}
}

func TestDialRejectsBadExtensionResponse(t *testing.T) {
	url := scriptServer(t, respond(func(req *http.Request) string {
		return upgradeResponse(req, "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=10")
	}))
	c, resp, err := dialTest(t, url, &DialOptions{Compression: &CompressionOptions{}})
	require.Nil(t, c)
	require.ErrorIs(t, err, ErrExtension)
	var he *HandshakeError
	require.ErrorAs(t, err, &he)
	assert.Equal(t, http.StatusSwitchingProtocols, he.StatusCode)
	assert.Contains(t, he.Msg, "client_max_window_bits")
	require.NotNil(t, resp)
}

func TestDialSendsOffer(t *testing.T) {
	got := make(chan []string, 1)
	url := scriptServer(t, respond(func(req *http.Request) string {
		got <- req.Header.Values("Sec-WebSocket-Extensions")
		return upgradeResponse(req, "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover")
	}))
	c, _, err := dialTest(t, url, &DialOptions{Compression: &CompressionOptions{
		ClientNoContextTakeover: true, ServerNoContextTakeover: true, ClientMaxWindowBits: 15, ServerMaxWindowBits: 10,
	}})
	require.NoError(t, err)
	assert.Equal(t, []string{"permessage-deflate; client_no_context_takeover; server_no_context_takeover; " +
		"client_max_window_bits=15; server_max_window_bits=10"}, <-got)
	p, ok := c.Compression()
	require.True(t, ok)
	assert.Equal(t, DeflateParams{ClientNoContextTakeover: true, ServerNoContextTakeover: true,
		ClientMaxWindowBits: full, ServerMaxWindowBits: full}, p)

	// Without Compression there is no offer, and no compression.
	c, _, err = dialTest(t, scriptServer(t, respond(func(req *http.Request) string {
		got <- req.Header.Values("Sec-WebSocket-Extensions")
		return upgradeResponse(req)
	})), nil)
	require.NoError(t, err)
	assert.Empty(t, <-got)
	_, ok = c.Compression()
	assert.False(t, ok)
}

func TestAcceptNegotiatesOverNetwork(t *testing.T) {
	cc, sc, _ := deflatePair(t, &CompressionOptions{ServerMaxWindowBits: 12, ClientMaxWindowBits: 15},
		&CompressionOptions{ClientNoContextTakeover: true, ClientMaxWindowBits: 11})
	want := DeflateParams{ClientNoContextTakeover: true, ClientMaxWindowBits: 11, ServerMaxWindowBits: 12}
	cp, ok := cc.Compression()
	require.True(t, ok)
	sp, ok := sc.Compression()
	require.True(t, ok)
	assert.Equal(t, want, cp)
	assert.Equal(t, want, sp)

	// A client that offers nothing gets no compression from such a server.
	srv, conns, _ := acceptServer(t, &AcceptOptions{Compression: &CompressionOptions{}})
	c, resp, err := dialTest(t, srv.URL, nil)
	require.NoError(t, err)
	assert.Empty(t, resp.Header.Values("Sec-WebSocket-Extensions"))
	_, ok = c.Compression()
	assert.False(t, ok)
	_, ok = (<-conns).Compression()
	assert.False(t, ok)
}

func TestCompressionOptionsChecked(t *testing.T) {
	for _, o := range []CompressionOptions{
		{ClientMaxWindowBits: 7}, {ClientMaxWindowBits: 16}, {ServerMaxWindowBits: -1}, {ServerMaxWindowBits: 3},
		{Level: -1}, {Level: 10},
	} {
		_, _, err := Dial(t.Context(), "ws://127.0.0.1:1/", &DialOptions{Compression: &o})
		assert.ErrorIs(t, err, ErrInvalidCompression, "%+v", o)
	}
	srv, _, errs := acceptServer(t, &AcceptOptions{Compression: &CompressionOptions{Level: 11}})
	_, resp, err := dialTest(t, srv.URL, nil)
	var he *HandshakeError
	require.ErrorAs(t, err, &he)
	assert.Equal(t, http.StatusInternalServerError, he.StatusCode)
	require.NotNil(t, resp)
	assert.True(t, errors.Is(<-errs, ErrInvalidCompression))
}
