package transport

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/url"
	"testing"
)

// socksScript is a SOCKS5 proxy played from bytes: reads come from the
// script, writes are recorded.
type socksScript struct {
	r       *bytes.Reader
	written bytes.Buffer
}

func (s *socksScript) Read(p []byte) (int, error)  { return s.r.Read(p) }
func (s *socksScript) Write(p []byte) (int, error) { return s.written.Write(p) }

// runSOCKSScript runs the client handshake against answers and reports
// the error and how many bytes of answers it consumed.
func runSOCKSScript(answers []byte, auth bool, host string) (int, error) {
	s := &socksScript{r: bytes.NewReader(answers)}
	var user *url.Userinfo
	if auth {
		user = url.UserPassword("bob", "pw")
	}
	err := socksConnect(context.Background(), s, user, host, 443)
	return len(answers) - s.r.Len(), err
}

// FuzzSOCKSConnect feeds arbitrary proxy answers to the SOCKS5 client
// handshake. Any input must end in success or in one of its typed
// errors, never a panic; and the client must never read past the reply
// (the next byte is the server's): bytes appended to the answers change
// neither the outcome nor how much was read.
//
// The committed corpus is in testdata/fuzz/FuzzSOCKSConnect.
func FuzzSOCKSConnect(f *testing.F) {
	f.Add([]byte{5, 0, 5, 0, 0, 1, 127, 0, 0, 1, 0x1f, 0x90}, false, false)
	f.Add([]byte{5, 2, 1, 0, 5, 0, 0, 3, 4, 'a', '.', 't', 't', 0, 80}, true, true)
	f.Add([]byte{5, 2, 1, 1}, true, false)
	f.Add([]byte{5, 0xff}, false, true)
	f.Add([]byte{5, 0, 5, 5, 0, 1}, false, true)
	f.Add([]byte{5, 0, 5, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 187}, false, false)
	f.Fuzz(func(t *testing.T, answers []byte, auth, domain bool) {
		host := "127.0.0.1"
		if domain {
			host = "example.test"
		}
		n, err := runSOCKSScript(answers, auth, host)
		var pae *ProxyAuthError
		var pe *ProxyError
		switch {
		case err == nil, errors.Is(err, ErrMalformedResponse), errors.Is(err, io.ErrUnexpectedEOF),
			errors.As(err, &pae), errors.As(err, &pe):
		default:
			t.Fatalf("untyped error %v", err)
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return // it needed more: nothing to append to
		}
		n2, err2 := runSOCKSScript(append(answers[:len(answers):len(answers)], 0x81, 0x05, 'h', 'e', 'l', 'l', 'o'), auth, host)
		if (err == nil) != (err2 == nil) || n != n2 {
			t.Fatalf("trailing bytes changed the result: %v after %d bytes, then %v after %d", err, n, err2, n2)
		}
	})
}
