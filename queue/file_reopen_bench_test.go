package queue

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkFileReopenTorn reopens a log whose last record, one message of
// the largest size a default queue allows (64 MiB, MaxBytes), is torn: cut
// 1 MiB short, as by a crash, or with one byte flipped. The payload is a
// repeating uint32 pattern, the worst case for a reader that looks for
// the next record at every offset. Each iteration restores the damaged
// directory first (outside the timer), since OpenFile repairs it.
func BenchmarkFileReopenTorn(b *testing.B) {
	for _, size := range []int{4 << 20, DefaultMaxBytes} {
		for _, damage := range []string{"cut", "flip"} {
			b.Run(fmt.Sprintf("%dMiB/%s", size>>20, damage), func(b *testing.B) {
				dir := b.TempDir()
				f, err := OpenFile(dir, FileOptions{Sync: SyncNever})
				if err != nil {
					b.Fatal(err)
				}
				payload := make([]byte, size)
				for i := 0; i+4 <= len(payload); i += 4 {
					binary.LittleEndian.PutUint32(payload[i:], uint32(i/4))
				}
				if _, err := f.Push(context.Background(), Message{Type: 2, Payload: payload}); err != nil {
					b.Fatal(err)
				}
				if err := f.Close(); err != nil {
					b.Fatal(err)
				}
				names, err := segmentNames(dir)
				if err != nil {
					b.Fatal(err)
				}
				path := filepath.Join(dir, names[len(names)-1])
				whole, err := os.ReadFile(path)
				if err != nil {
					b.Fatal(err)
				}
				damaged := whole[:len(whole)-1<<20]
				if damage == "flip" {
					damaged = append([]byte(nil), whole...)
					damaged[len(damaged)/2] ^= 0x10
				}
				meta, err := os.ReadFile(filepath.Join(dir, metaName))
				if err != nil {
					b.Fatal(err)
				}
				b.SetBytes(int64(len(damaged)))
				for b.Loop() {
					b.StopTimer()
					// The whole directory as it was: OpenFile rewrites it.
					if err := os.RemoveAll(dir); err != nil {
						b.Fatal(err)
					}
					if err := os.MkdirAll(dir, 0o700); err != nil {
						b.Fatal(err)
					}
					if err := os.WriteFile(path, damaged, 0o600); err != nil {
						b.Fatal(err)
					}
					if err := os.WriteFile(filepath.Join(dir, metaName), meta, 0o600); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
					f, err := OpenFile(dir, FileOptions{Sync: SyncNever})
					if err != nil {
						b.Fatal(err)
					}
					if len(f.Recovery().Damage) == 0 {
						b.Fatal("no damage found")
					}
					b.StopTimer()
					_ = f.Close()
					b.StartTimer()
				}
			})
		}
	}
}
