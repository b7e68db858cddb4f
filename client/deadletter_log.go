package client

import (
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"
)

// deadLogWindow is how often, at most, dead letters are logged one by one:
// the first of a window gets its own line, the rest are counted and
// summarised when the window is over, so a queue dropping thousands of
// messages a second writes a line a second, not thousands.
const deadLogWindow = time.Second

// deadLetterLog summarises dead letters in the log.
type deadLetterLog struct {
	mu      sync.Mutex
	until   time.Time          // end of the current window
	counted [numReasons]uint64 // dead letters in the window beyond its first
}

// note logs d, or counts it toward the window's summary.
func (l *deadLetterLog) note(log *slog.Logger, d DeadLetter, now time.Time) {
	l.mu.Lock()
	if now.Before(l.until) {
		l.counted[d.Reason]++
		l.mu.Unlock()
		return
	}
	summary := l.take()
	l.until = now.Add(deadLogWindow)
	l.mu.Unlock()
	if summary != "" {
		log.Warn("messages not delivered", "counts", summary)
	}
	log.Warn("message not delivered", "seq", d.Seq, "reason", d.Reason.String())
}

// flush logs what the current window has counted; the session's end calls
// it so no count is left unlogged.
func (l *deadLetterLog) flush(log *slog.Logger) {
	l.mu.Lock()
	summary := l.take()
	l.until = time.Time{}
	l.mu.Unlock()
	if summary != "" {
		log.Warn("messages not delivered", "counts", summary)
	}
}

// take formats and clears the counts, "Expired=3 Overflow=120"; empty
// when there are none. Called with mu held.
func (l *deadLetterLog) take() string {
	var b strings.Builder
	for r, n := range l.counted {
		if n == 0 {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(DropReason(r).String())
		b.WriteByte('=')
		b.WriteString(strconv.FormatUint(n, 10))
	}
	clear(l.counted[:])
	return b.String()
}
