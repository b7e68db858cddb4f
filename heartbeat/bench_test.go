package heartbeat

import (
	"encoding/binary"
	"testing"
	"time"
)

// benchMonitor returns a monitor whose own goroutine stays asleep for the
// whole benchmark, so only the read path is measured.
func benchMonitor(b *testing.B, s Strategy) *Monitor {
	b.Helper()
	m, err := Start(nopPinger{}, Options{Interval: time.Hour, Strategy: s})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(m.Stop)
	return m
}

func BenchmarkFrameReceived(b *testing.B) {
	m := benchMonitor(b, Strategy{})
	b.ReportAllocs()
	for b.Loop() {
		m.FrameReceived()
	}
}

func BenchmarkFrameReceivedParallel(b *testing.B) {
	m := benchMonitor(b, Strategy{})
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.FrameReceived()
		}
	})
}

func BenchmarkPongReceived(b *testing.B) {
	b.Run("stray", func(b *testing.B) {
		m := benchMonitor(b, Strategy{})
		stray := []byte{0, 0, 0, 0, 0, 0, 0, 42}
		b.ReportAllocs()
		for b.Loop() {
			m.PongReceived(stray)
		}
	})
	b.Run("stray-parallel", func(b *testing.B) {
		m := benchMonitor(b, Strategy{})
		stray := []byte{0, 0, 0, 0, 0, 0, 0, 42}
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				m.PongReceived(stray)
			}
		})
	})
	// matching includes install, the monitor's side of each round trip, since
	// a ping can be answered only once.
	b.Run("matching", func(b *testing.B) {
		m := benchMonitor(b, Strategy{})
		payload := make([]byte, 8)
		now := time.Now()
		var id uint64
		b.ReportAllocs()
		for b.Loop() {
			id++
			m.install(id, now)
			binary.BigEndian.PutUint64(payload, id)
			m.PongReceived(payload)
		}
	})
}

func BenchmarkMessageReceived(b *testing.B) {
	data := []byte(`{"op":"trade","px":101.5,"qty":3}`)
	for _, tt := range []struct {
		name string
		s    Strategy
	}{
		{"control", Strategy{}},
		{"text", Text("ping", "pong")},
		{"json", JSON("op", "ping", "pong")},
	} {
		b.Run(tt.name, func(b *testing.B) {
			m := benchMonitor(b, tt.s)
			b.ReportAllocs()
			for b.Loop() {
				m.MessageReceived(data)
			}
		})
	}
}

// BenchmarkPing is one heartbeat's cost on the monitor's side: the ping
// sent (to a Pinger that does nothing) and answered. Its allocations are
// the ping's payload alone, which the Pinger may keep; the send deadline's
// context and timer are the monitor's, made once.
func BenchmarkPing(b *testing.B) {
	m := benchMonitor(b, Strategy{})
	l := &m.loop
	var pong [8]byte
	b.ReportAllocs()
	for b.Loop() {
		l.mu.Lock()
		if err := m.ping(&l.p, l.d, time.Now()); err != nil {
			b.Fatal(err)
		}
		l.mu.Unlock()
		binary.BigEndian.PutUint64(pong[:], l.p.id)
		m.PongReceived(pong[:])
	}
}
