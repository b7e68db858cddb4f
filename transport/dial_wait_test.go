package transport

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stallServer accepts TCP connections and never answers the handshake. It
// reports each accepted connection, so a test can act once the dial is
// stuck in the handshake rather than after a guessed sleep.
func stallServer(t *testing.T) (url string, accepted <-chan struct{}) {
	ch := make(chan struct{}, 1)
	url = scriptServer(t, func(nc net.Conn, _ *http.Request) {
		ch <- struct{}{}
		drainUntilClosed(nc)
	})
	return url, ch
}

// waitDial runs Dial in a goroutine and returns a channel with its error.
func waitDial(ctx context.Context, url string, opts *DialOptions) <-chan error {
	errc := make(chan error, 1)
	go func() {
		c, _, err := Dial(ctx, url, opts)
		if c != nil {
			c.CloseNow()
		}
		errc <- err
	}()
	return errc
}

// awaitErr waits for a dial's result; the bound is a safety net for a
// hung test, not a measurement.
func awaitErr(t *testing.T, errc <-chan error) error {
	t.Helper()
	select {
	case err := <-errc:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("Dial did not return after its context ended")
		return nil
	}
}

func TestDialContextCancelledDuringHandshake(t *testing.T) {
	url, accepted := stallServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := waitDial(ctx, url, nil)
	<-accepted
	cancel()
	err := awaitErr(t, errc)
	require.ErrorIs(t, err, context.Canceled)
}

func TestDialHandshakeTimeout(t *testing.T) {
	url, _ := stallServer(t)
	errc := waitDial(context.Background(), url, &DialOptions{HandshakeTimeout: 50 * time.Millisecond})
	err := awaitErr(t, errc)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	var ne interface{ Timeout() bool }
	require.ErrorAs(t, err, &ne)
	assert.True(t, ne.Timeout())
}

func TestDialContextDeadline(t *testing.T) {
	url, _ := stallServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := awaitErr(t, waitDial(ctx, url, nil))
	require.ErrorIs(t, err, context.DeadlineExceeded)
}
