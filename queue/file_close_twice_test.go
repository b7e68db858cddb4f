package queue

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A Close made while another is still syncing returns only once that one
// has closed the files and released the directory: an owner whose Close
// came second may open the directory again as soon as it returns. It
// returned at once, the File being closed already, and OpenFile then
// found the directory locked.
func TestSecondFileCloseWaitsForTheRelease(t *testing.T) {
	dir := t.TempDir()
	f, err := OpenFile(dir, FileOptions{Sync: SyncInterval, SyncEvery: time.Hour})
	require.NoError(t, err)
	_, err = f.Push(context.Background(), Message{Payload: []byte("a")})
	require.NoError(t, err)

	reopened := make(chan error, 1)
	waiting := make(chan struct{})
	f.closeWaitHook = func() { close(waiting) }
	f.sync.fsyncHook = func() { // the first Close's final sync
		f.sync.fsyncHook = nil
		go func() {
			_ = f.Close()
			g, err := OpenFile(dir, FileOptions{})
			if err == nil {
				err = g.Close()
			}
			reopened <- err
		}()
		select {
		case <-waiting: // the second Close waits: let the first go on
		case err := <-reopened: // it returned with the first held here
			reopened <- err
		}
	}
	require.NoError(t, f.Close())
	require.NoError(t, <-reopened)
}
