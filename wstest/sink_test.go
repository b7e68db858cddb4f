package wstest_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sturdyws/sturdy/transport"
	"github.com/sturdyws/sturdy/wstest"
)

// TestSinkRecordsWithOrdinals sends messages over three connections in
// turn and checks that the server recorded them all, in order, each with
// its connection's ordinal and index.
func TestSinkRecordsWithOrdinals(t *testing.T) {
	srv := wstest.Start(t, wstest.Options{Default: wstest.Sink(nil)})
	var want []string
	for conn := 1; conn <= 3; conn++ {
		c := dial(t, srv, "/", nil)
		for i := 1; i <= 4; i++ {
			msg := fmt.Sprintf("%c%d", 'a'+conn-1, i)
			write(t, c, msg)
			want = append(want, msg)
		}
		require.NoError(t, c.Close(transport.StatusNormalClosure, ""))
	}
	require.NoError(t, srv.WaitReceived(testCtx(t), len(want)))

	got := srv.Received()
	require.Len(t, got, len(want))
	for i, m := range got {
		assert.Equal(t, want[i], string(m.Data))
		assert.Equal(t, i/4+1, m.Conn, "message %d", i)
		assert.Equal(t, i%4+1, m.Index, "message %d", i)
		assert.Equal(t, transport.MessageText, m.Type)
		if i > 0 {
			assert.False(t, m.Time.Before(got[i-1].Time))
		}
	}
	on2 := srv.ReceivedOn(2)
	require.Len(t, on2, 4)
	assert.Equal(t, "b1", string(on2[0].Data))
	assert.Nil(t, srv.ReceivedOn(9))
	assert.Nil(t, srv.ReceivedOn(0))
	assert.Zero(t, srv.Snapshot().Sent, "a sink without reply sends nothing")
}

// TestReceivedIsACopy checks that changing what Received returned does
// not change the record.
func TestReceivedIsACopy(t *testing.T) {
	srv := wstest.Start(t, wstest.Options{})
	c := dial(t, srv, "/", nil)
	write(t, c, "keep")
	require.NoError(t, srv.WaitReceived(testCtx(t), 1))
	srv.Received()[0].Data[0] = 'X'
	srv.ReceivedOn(1)[0].Data[0] = 'Y'
	assert.Equal(t, "keep", string(srv.Received()[0].Data))
}

// TestSinkReply sends an application ack for each message, as an
// at-least-once client expects.
func TestSinkReply(t *testing.T) {
	srv := wstest.Start(t, wstest.Options{Default: wstest.Sink(func(m wstest.Message) []byte {
		if string(m.Data) == "no-ack" {
			return nil
		}
		return []byte("ack:" + string(m.Data))
	})})
	c := dial(t, srv, "/", nil)
	write(t, c, "1")
	write(t, c, "no-ack")
	write(t, c, "2")
	assert.Equal(t, "ack:1", read(t, c))
	assert.Equal(t, "ack:2", read(t, c))
	assert.Equal(t, 2, srv.Snapshot().Sent)
}

// TestCheckDelivery covers the histories at-least-once delivery allows and
// those it does not.
func TestCheckDelivery(t *testing.T) {
	sent := [][]byte{[]byte("a"), []byte("b"), []byte("c"), []byte("d")}
	// got builds a history from "conn:payload" steps.
	got := func(steps ...string) []wstest.Message {
		var out []wstest.Message
		perConn := map[int]int{}
		for _, s := range steps {
			var conn int
			var data string
			_, err := fmt.Sscanf(s, "%d:%s", &conn, &data)
			require.NoError(t, err)
			perConn[conn]++
			out = append(out, wstest.Message{Conn: conn, Index: perConn[conn], Data: []byte(data)})
		}
		return out
	}
	tests := []struct {
		name    string
		got     []wstest.Message
		wantErr string
	}{
		{"one connection", got("1:a", "1:b", "1:c", "1:d"), ""},
		{"reconnect without replay", got("1:a", "1:b", "2:c", "2:d"), ""},
		{"replay at reconnect", got("1:a", "1:b", "1:c", "2:b", "2:c", "2:d"), ""},
		{"replay across two reconnects", got("1:a", "2:a", "2:b", "3:b", "3:c", "3:d"), ""},
		{"old connection still read while the next delivers", got("1:a", "2:c", "1:b", "2:d"), ""},
		{"lost", got("1:a", "1:b", "2:d"), "lost or reordered"},
		{"reordered", got("1:a", "1:c", "1:b", "1:d"), "lost or reordered"},
		{"duplicate mid-connection", got("1:a", "1:b", "1:b", "1:c", "1:d"), "not at a reconnect boundary"},
		{"duplicate after new", got("1:a", "1:b", "2:c", "2:a", "2:d"), "not at a reconnect boundary"},
		{"replay out of order", got("1:a", "1:b", "2:b", "2:a", "2:c", "2:d"), "went back"},
		{"missing tail", got("1:a", "1:b"), "2 of 4 messages never arrived"},
		{"unknown", got("1:a", "1:x"), "never sent"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := wstest.CheckDelivery(sent, tt.got)
			if tt.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
	assert.Error(t, wstest.CheckDelivery([][]byte{[]byte("a"), []byte("a")}, nil), "payloads must be distinct")
}
