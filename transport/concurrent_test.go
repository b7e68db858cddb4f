package transport

import (
	"bytes"
	"fmt"
	"runtime"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// concurrentSizes are the message sizes the writers cycle through: each
// payload length encoding (7-bit, 16-bit, 64-bit), and sizes below, at and
// above the 4 KiB write buffer so messages are written in several pieces.
var concurrentSizes = []int{12, 125, 126, 1000, 4096, 4097, 9000, 70000}

// concurrentPayload is message seq of writer g: a fixed-width "gg/ssss|"
// label, which says whose it is, then filler that depends on both, so a
// byte of another message spliced in shows as a mismatch.
func concurrentPayload(g, seq int) []byte {
	n := concurrentSizes[(g+seq)%len(concurrentSizes)]
	p := fmt.Appendf(make([]byte, 0, n), "%02d/%04d|", g, seq)
	for i := len(p); i < n; i++ {
		p = append(p, 'a'+byte((g*7+seq*3+i)%26))
	}
	return p
}

// parseLabel reads the label concurrentPayload puts first.
func parseLabel(p []byte) (g, seq int, ok bool) {
	if len(p) < 8 || p[2] != '/' || p[7] != '|' {
		return 0, 0, false
	}
	g, err1 := strconv.Atoi(string(p[:2]))
	seq, err2 := strconv.Atoi(string(p[3:7]))
	return g, seq, err1 == nil && err2 == nil
}

// Writes from many goroutines at once never interleave: Write, a message
// streamed through Writer and pings share one client Conn, and every
// message reaches the server whole, each goroutine's in the order it wrote
// them (the Conn doc's promise; RFC 6455 §5.4 allows only control frames
// between the fragments of a message). Meanwhile another goroutine calls
// ReleaseIdle and Flush over and over, as a heartbeat would, so the write
// buffer and key generator are let go between frames, between the
// fragments of a streamed message too, and made again.
func TestConcurrentWritesDoNotInterleave(t *testing.T) {
	deflate := func() *deflateConfig {
		return newDeflateConfig(DeflateParams{ClientMaxWindowBits: full, ServerMaxWindowBits: full}, &CompressionOptions{})
	}
	for _, tc := range []struct {
		name    string
		deflate func() *deflateConfig
	}{
		{"plain", func() *deflateConfig { return nil }},
		// Write compresses messages over the threshold and Writer all of
		// them, so compressed and plain frames mix on the wire.
		{"deflate", deflate},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const (
				writers   = 4  // goroutines calling Write
				perWriter = 24 // messages each
				streamed  = 24 // messages the Writer goroutine streams
				pings     = 30
			)
			streamer := writers // the Writer goroutine's label
			pinged := make(chan string, pings)
			cc, sc := connPair(t, connConfig{deflate: tc.deflate()},
				connConfig{deflate: tc.deflate(), onPing: func(p []byte) { pinged <- string(p) }})
			// A hung write or read fails the test instead of blocking it.
			ctx := untilTestDeadline(t)

			// All goroutines start together, so their writes overlap.
			start := make(chan struct{})
			errc := make(chan error, writers+3)
			var wg sync.WaitGroup
			for g := range writers {
				wg.Go(func() {
					<-start
					typ := MessageBinary
					if g%2 == 1 {
						typ = MessageText
					}
					for seq := range perWriter {
						if err := cc.Write(ctx, typ, concurrentPayload(g, seq)); err != nil {
							errc <- fmt.Errorf("writer %d, message %d: %w", g, seq, err)
							return
						}
					}
				})
			}
			wg.Go(func() {
				<-start
				for seq := range streamed {
					w, err := cc.Writer(ctx, MessageText)
					if err != nil {
						errc <- fmt.Errorf("streamer, message %d: %w", seq, err)
						return
					}
					// Uneven chunks, one over the write buffer, so the
					// message goes out in several frames with room for other
					// writers to try to cut in between them.
					p := concurrentPayload(streamer, seq)
					for len(p) > 0 {
						k := min(len(p), 1+len(p)/3, 5000)
						if _, err := w.Write(p[:k]); err != nil {
							errc <- fmt.Errorf("streamer, message %d: %w", seq, err)
							return
						}
						p = p[k:]
						runtime.Gosched() // let the others try to cut in
					}
					if err := w.Close(); err != nil {
						errc <- fmt.Errorf("streamer, message %d: %w", seq, err)
						return
					}
				}
			})
			wg.Go(func() {
				<-start
				for i := range pings {
					if err := cc.Ping(ctx, []byte("ping-"+strconv.Itoa(i))); err != nil {
						errc <- fmt.Errorf("ping %d: %w", i, err)
						return
					}
				}
			})
			stopReleasing := make(chan struct{})
			var releaser sync.WaitGroup
			releaser.Go(func() {
				<-start
				for i := 0; ; i++ {
					select {
					case <-stopReleasing:
						return
					default:
					}
					cc.ReleaseIdle()
					if i%4 == 0 {
						// Empties the buffer, mid-message too, so that the
						// next ReleaseIdle but one finds it unused.
						if err := cc.Flush(ctx); err != nil {
							errc <- fmt.Errorf("flush: %w", err)
							return
						}
					}
					runtime.Gosched()
				}
			})
			// Once every goroutine is done, a last message marks the end of
			// the stream: every ping went out before it, so the server has
			// seen them all by the time it reads it.
			close(start)
			endErr := make(chan error, 1)
			go func() {
				wg.Wait()
				close(stopReleasing)
				releaser.Wait()
				endErr <- cc.Write(ctx, MessageText, []byte("end"))
			}()

			next := make([]int, writers+1) // next seq expected from each goroutine
			for {
				_, got, err := sc.Read(ctx)
				require.NoError(t, err)
				if string(got) == "end" {
					break
				}
				g, seq, ok := parseLabel(got)
				require.True(t, ok, "got a message starting %q, want a gg/ssss| label", got[:min(len(got), 16)])
				require.Less(t, g, len(next), "got a message from goroutine %d", g)
				require.Equal(t, next[g], seq, "goroutine %d: got message %d, want %d", g, seq, next[g])
				if want := concurrentPayload(g, seq); !bytes.Equal(got, want) {
					i := 0
					for i < min(len(got), len(want)) && got[i] == want[i] {
						i++
					}
					require.Failf(t, "message corrupted", "goroutine %d, message %d: got %d bytes, want %d; first difference at byte %d",
						g, seq, len(got), len(want), i)
				}
				next[g]++
			}
			for g := range writers {
				assert.Equal(t, perWriter, next[g], "writer %d: got %d messages, want %d", g, next[g], perWriter)
			}
			assert.Equal(t, streamed, next[streamer], "streamer: got %d messages, want %d", next[streamer], streamed)
			require.NoError(t, <-endErr, "the end marker's write")
			close(errc) // every sender is done: the end marker waited for them
			for err := range errc {
				assert.NoError(t, err)
			}

			// Pings are frames of their own between (or inside) messages:
			// all arrived, intact and in order.
			for i := range pings {
				select {
				case p := <-pinged:
					assert.Equal(t, "ping-"+strconv.Itoa(i), p)
				default:
					require.Failf(t, "ping missing", "got %d pings before the end marker, want %d", i, pings)
				}
			}
		})
	}
}
