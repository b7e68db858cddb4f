package rpc

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"

	"github.com/sturdyws/sturdy/mocks"
)

// The dialect is asked once per subscribe answer and once per
// notification, and Unsubscribe gets the id of the renewed subscription,
// not the one it had on the first connection.
func TestDialectSeesRenewedID(t *testing.T) {
	f := startFeed(t)
	d := mocks.NewDialect(t)
	d.EXPECT().SubscriptionID(mock.Anything).RunAndReturn(Eth{}.SubscriptionID).Times(2)
	d.EXPECT().Notification(mock.Anything, mock.Anything).RunAndReturn(Eth{}.Notification).Times(2)
	d.EXPECT().Unsubscribe("test_subscribe", []byte(`"0x2"`)).RunAndReturn(Eth{}.Unsubscribe).Once()
	c := dial(t, f, Options{Dialect: d})
	ctx := testCtx(t)
	s := subscribeFeed(t, c, nil, SubscribeOptions{})
	f.emit(1)
	ev, err := s.Next(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, number(t, ev))

	f.DropAll()
	f.waitSubscribed(ctx, 2)
	f.emit(1)
	ev, err = s.Next(ctx)
	require.NoError(t, err)
	assert.Equal(t, 2, number(t, ev))
	require.NoError(t, s.Unsubscribe(ctx))
	var ok bool
	require.NoError(t, c.Call(ctx, "test_echo", []bool{true}, &ok))
	assert.Equal(t, 0, f.subscribers(), "the renewed subscription ended on the server")
}
