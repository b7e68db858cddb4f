package fleet

import (
	"context"
	"errors"
	"fmt"

	"github.com/sturdyws/sturdy/client"
	"github.com/sturdyws/sturdy/transport"
)

// sturdyMember is a client.Client with default Options but two: the
// member's URL, and its counting dial function (a zero net.Dialer's
// DialContext, the default, counted). Settings.Heartbeat, when set,
// replaces the default ping interval.
type sturdyMember struct{ c *client.Client }

func (m sturdyMember) close() error {
	err := m.c.Close()
	if errors.Is(err, client.ErrUndelivered) {
		return nil // nothing was sent; anything else is a failure
	}
	return err
}

// sendSize is the size of the messages Settings.Send asks for.
const sendSize = 100

// startSturdy starts every Client at once, then waits for each to be
// connected.
func (f *fleet) startSturdy(ctx context.Context) error {
	cs := make([]*client.Client, 0, f.set.N)
	for i := range f.set.N {
		o := client.Options{URL: f.urls[i], Dial: transport.DialOptions{NetDialContext: f.dials[i]}}
		o.Heartbeat.Interval = f.set.Heartbeat
		c, err := client.Start(context.Background(), o)
		if err != nil {
			return fmt.Errorf("member %d: %w", i, err)
		}
		f.members = append(f.members, sturdyMember{c})
		cs = append(cs, c)
	}
	payload := make([]byte, sendSize)
	for i, c := range cs {
		if err := c.WaitConnected(ctx); err != nil {
			return fmt.Errorf("member %d: %w", i, err)
		}
		for range f.set.Send {
			if _, err := c.Send(ctx, transport.MessageBinary, payload); err != nil {
				return fmt.Errorf("member %d: %w", i, err)
			}
		}
	}
	return nil
}
