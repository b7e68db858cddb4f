package transport

import (
	"bytes"
	"compress/flate"
)

// bomb returns a DEFLATE stream (sync-flushed, marker stripped) that
// inflates to n zero bytes: about 1 KiB per MiB.
func bomb(n int) []byte {
	var buf bytes.Buffer
	fw, _ := flate.NewWriter(&buf, flate.BestCompression)
	zeros := make([]byte, 64<<10)
	for n > 0 {
		k := min(n, len(zeros))
		_, _ = fw.Write(zeros[:k])
		n -= k
	}
	_ = fw.Flush()
	return bytes.TrimSuffix(buf.Bytes(), deflateTail[:])
}
