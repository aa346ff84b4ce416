package natsd

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
)

// levelTrace is below debug: nats-server traces every protocol line.
const levelTrace = slog.LevelDebug - 4

// logger bridges server.Logger to slog. It remembers the first fatal
// message so Start can report why the server did not come up.
type logger struct {
	l *slog.Logger

	mu       sync.Mutex
	firstErr string
}

func newLogger(l *slog.Logger) *logger { return &logger{l: l} }

func (g *logger) enabled(level slog.Level) bool {
	return g.l.Enabled(context.Background(), level)
}

func (g *logger) log(level slog.Level, format string, v []any) {
	if !g.enabled(level) {
		return
	}
	g.l.Log(context.Background(), level, fmt.Sprintf(format, v...))
}

func (g *logger) Noticef(format string, v ...any) { g.log(slog.LevelInfo, format, v) }
func (g *logger) Warnf(format string, v ...any)   { g.log(slog.LevelWarn, format, v) }
func (g *logger) Errorf(format string, v ...any)  { g.log(slog.LevelError, format, v) }
func (g *logger) Debugf(format string, v ...any)  { g.log(slog.LevelDebug, format, v) }
func (g *logger) Tracef(format string, v ...any)  { g.log(levelTrace, format, v) }

// Fatalf logs at error level and records the message. nats-server's own
// loggers exit the process here; an embedded server must leave that choice
// to the caller, so Start turns it into an error instead.
func (g *logger) Fatalf(format string, v ...any) {
	msg := fmt.Sprintf(format, v...)
	g.mu.Lock()
	if g.firstErr == "" {
		g.firstErr = msg
	}
	g.mu.Unlock()
	g.l.Error(msg, "fatal", true)
}

// fatal returns the first fatal message, or "".
func (g *logger) fatal() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.firstErr
}
