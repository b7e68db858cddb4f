package transport

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// scriptedSource answers each Read with the next step: up to n bytes of
// its stream (n < 0: as many as asked), then err. After the script it
// answers as many bytes as asked. It records the size of every Read.
type scriptedSource struct {
	data  []byte
	steps []step
	asked []int
}

type step struct {
	n   int
	err error
}

func (s *scriptedSource) Read(p []byte) (int, error) {
	s.asked = append(s.asked, len(p))
	st := step{n: -1}
	if len(s.steps) > 0 {
		st, s.steps = s.steps[0], s.steps[1:]
	}
	n := len(p)
	if st.n >= 0 {
		n = min(n, st.n)
	}
	n = copy(p[:n], s.data)
	s.data = s.data[n:]
	if n == 0 && st.err == nil && len(s.data) == 0 && len(p) > 0 {
		return 0, io.EOF
	}
	return n, st.err
}

func stream(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i * 7)
	}
	return b
}

// TestReadBufferDeliversStream: whatever the sizes the source answers with
// and the mix of peeks, discards and reads, the bytes come out whole and
// in order, and the buffer stays within its bounds.
func TestReadBufferDeliversStream(t *testing.T) {
	for _, fixed := range []int{0, 16, 4096} {
		rng := rand.New(rand.NewPCG(uint64(fixed), 7))
		var steps []step
		for range 2000 {
			// Mostly large answers, so the buffer grows; runs of small
			// ones, so it shrinks again.
			if rng.IntN(4) == 0 {
				for range rng.IntN(2 * shrinkAfter) {
					steps = append(steps, step{n: 1 + rng.IntN(300)})
				}
			}
			steps = append(steps, step{n: -1})
		}
		sizes := driveReadBuffer(t, 1<<20, fixed, steps, rng)
		if fixed == 0 {
			assert.True(t, sizes[MaxReadBufferSize], "grew to the largest size")
			assert.True(t, sizes[DefaultBufferSize], "came back to the start")
		}
	}
}

// FuzzReadBuffer: TestReadBufferDeliversStream's check, with the stream's
// length, the source's answer sizes and the mix of calls from the fuzzer.
func FuzzReadBuffer(f *testing.F) {
	f.Add(uint32(100000), uint16(0), uint64(1), []byte{0, 0, 1, 0, 0, 10, 255, 255})
	f.Add(uint32(5000), uint16(16), uint64(2), []byte{0, 3, 0, 3, 0, 3})
	f.Fuzz(func(t *testing.T, length uint32, fixed uint16, seed uint64, script []byte) {
		var steps []step
		for i := 0; i+1 < len(script); i += 2 {
			// 0 answers as much as asked; otherwise up to 64 KiB.
			n := int(script[i])<<8 | int(script[i+1])
			if n == 0 {
				n = -1
			}
			steps = append(steps, step{n: n})
		}
		driveReadBuffer(t, int(length%(2<<20)), int(fixed%8192), steps, rand.New(rand.NewPCG(seed, 0)))
	})
}

// driveReadBuffer reads a stream of size bytes, answered by the source in
// steps, through a readBuffer of the given size (0: adaptive) with calls
// chosen by rng. It fails t unless the stream arrives whole and in order
// with the buffer's size in bounds, and returns the sizes it had.
func driveReadBuffer(t testing.TB, size, fixed int, steps []step, rng *rand.Rand) map[int]bool {
	want := stream(size)
	pending := want[:min(10, size)]
	src := &scriptedSource{data: want[len(pending):], steps: steps}
	var b readBuffer
	b.init(src, pending, fixed)
	var got []byte
	sizes := map[int]bool{}
	for len(got) < len(want) {
		switch rng.IntN(3) {
		case 0:
			n := min(1+rng.IntN(MaxHeaderSize), len(want)-len(got))
			p, err := b.peek(n)
			require.NoError(t, err)
			require.Len(t, p, n)
			got = append(got, p...)
			b.discard(n)
		case 1:
			p := make([]byte, 1+rng.IntN(3*MaxReadBufferSize))
			n, err := b.Read(p)
			require.NoError(t, err)
			got = append(got, p[:n]...)
		case 2:
			_, err := b.peek(min(MaxHeaderSize, len(want)-len(got)))
			require.NoError(t, err)
			n := rng.IntN(b.buffered() + 1)
			got = append(got, b.buf[b.r:b.r+n]...)
			b.discard(n)
		}
		sizes[b.size()] = true
		if fixed > 0 {
			require.Equal(t, max(fixed, MaxHeaderSize, len(pending)), b.size(), "a chosen size never changes")
		} else {
			require.GreaterOrEqual(t, b.size(), DefaultBufferSize)
			require.LessOrEqual(t, b.size(), MaxReadBufferSize)
		}
	}
	require.True(t, bytes.Equal(want, got), "size %d: the stream arrives whole and in order", fixed)
	return sizes
}

// TestReadBufferGrowsUnderBacklog: while every read fills the buffer, it
// doubles up to MaxReadBufferSize, then stays there and allocates nothing.
func TestReadBufferGrowsUnderBacklog(t *testing.T) {
	var b readBuffer
	b.init(&repeatReader{data: stream(1000)}, nil, 0)
	require.Equal(t, DefaultBufferSize, b.size())
	var seen []int
	for b.size() < MaxReadBufferSize {
		_, err := b.peek(1)
		require.NoError(t, err)
		b.discard(b.buffered())
		seen = append(seen, b.size())
	}
	assert.Equal(t, []int{8 << 10, 16 << 10, 32 << 10, 64 << 10}, seen)
	p := make([]byte, 100)
	allocs := testing.AllocsPerRun(1000, func() {
		if _, err := b.Read(p); err != nil {
			t.Fatal(err)
		}
	})
	assert.Zero(t, allocs)
	assert.Equal(t, MaxReadBufferSize, b.size())
}

// TestReadBufferShrinksWhenLean: after shrinkAfter reads in a row that each
// bring at most an eighth of it, a grown buffer returns to the start for
// the next read, and not one read sooner; a read of more in between starts
// the count again.
func TestReadBufferShrinksWhenLean(t *testing.T) {
	src := &scriptedSource{data: stream(4 << 20)}
	var b readBuffer
	b.init(src, nil, 0)
	for b.size() < MaxReadBufferSize {
		_, _ = b.peek(1)
		b.discard(b.buffered())
	}
	lean := func(k int) {
		for range k {
			src.steps = append(src.steps, step{n: MaxReadBufferSize / 8})
			_, err := b.peek(1)
			require.NoError(t, err)
			b.discard(b.buffered())
		}
	}
	lean(shrinkAfter - 1)
	assert.Equal(t, MaxReadBufferSize, b.size())
	src.steps = append(src.steps, step{n: MaxReadBufferSize/8 + 1}) // not lean
	_, _ = b.peek(1)
	b.discard(b.buffered())
	lean(shrinkAfter - 1)
	assert.Equal(t, MaxReadBufferSize, b.size(), "the run started again")
	lean(1)
	assert.Equal(t, MaxReadBufferSize, b.size(), "the last lean read's bytes are still in it")
	src.steps = append(src.steps, step{n: 100})
	_, _ = b.peek(1)
	assert.Equal(t, DefaultBufferSize, b.size())
}

// TestReadBufferLargeReadBypasses: with the buffer empty, a Read at least
// as large as the buffer goes straight to the source with all of p.
func TestReadBufferLargeReadBypasses(t *testing.T) {
	src := &scriptedSource{data: stream(1 << 20)}
	var b readBuffer
	b.init(src, nil, 0)
	p := make([]byte, 100<<10)
	n, err := b.Read(p)
	require.NoError(t, err)
	assert.Equal(t, len(p), n)
	assert.Equal(t, []int{len(p)}, src.asked)
	assert.Zero(t, b.buffered())
}

// TestReadBufferErrorOnce: a source's error comes after the bytes read
// with it, once; the next call reads again, as after an expired read
// deadline.
func TestReadBufferErrorOnce(t *testing.T) {
	src := &scriptedSource{
		data:  []byte("abcdef"),
		steps: []step{{n: 3, err: os.ErrDeadlineExceeded}, {n: 0, err: os.ErrDeadlineExceeded}},
	}
	var b readBuffer
	b.init(src, nil, 0)
	p, err := b.peek(3)
	require.NoError(t, err)
	assert.Equal(t, "abc", string(p))
	p, err = b.peek(4)
	assert.ErrorIs(t, err, os.ErrDeadlineExceeded, "the error read with abc")
	assert.Equal(t, "abc", string(p))
	_, err = b.peek(4)
	assert.ErrorIs(t, err, os.ErrDeadlineExceeded, "the source's next answer")
	p, err = b.peek(6)
	require.NoError(t, err, "the stream goes on")
	assert.Equal(t, "abcdef", string(p))

	src = &scriptedSource{data: []byte("xy"), steps: []step{{n: 2, err: io.EOF}}}
	b.init(src, nil, 0)
	buf := make([]byte, 8)
	n, err := b.Read(buf)
	require.NoError(t, err)
	assert.Equal(t, "xy", string(buf[:n]))
	_, err = b.Read(buf)
	assert.ErrorIs(t, err, io.EOF)
}

// badSource answers every Read with n bytes and no error.
type badSource int

func (s badSource) Read([]byte) (int, error) { return int(s), nil }

// TestReadBufferBrokenSource: a source that claims impossible counts, or
// brings nothing forever, gets an error, not a panic or a spin.
func TestReadBufferBrokenSource(t *testing.T) {
	for _, src := range []badSource{-1, 1 << 30} {
		var b readBuffer
		b.init(src, nil, 0)
		_, err := b.peek(2)
		assert.ErrorIs(t, err, errBadCount)
		_, err = b.Read(make([]byte, 10))
		assert.ErrorIs(t, err, errBadCount)
		_, err = b.Read(make([]byte, 1<<20))
		assert.ErrorIs(t, err, errBadCount, "the direct read checks too")
	}
	var b readBuffer
	b.init(badSource(0), nil, 0)
	_, err := b.peek(1)
	assert.True(t, errors.Is(err, io.ErrNoProgress))
}

// TestReadBufferPendingFirst: bytes read past the handshake come before
// the source's, even when they outsize a small chosen buffer.
func TestReadBufferPendingFirst(t *testing.T) {
	var b readBuffer
	b.init(&scriptedSource{data: []byte("-network")}, []byte("pending-bytes-beyond-sixteen"), 16)
	all, err := io.ReadAll(&b)
	require.NoError(t, err)
	assert.Equal(t, "pending-bytes-beyond-sixteen-network", string(all))
}
