// Package logging builds the process's slog logger and carries request ids
// through contexts so every log line of one request can be found together;
// a line logged within a trace span names its trace and span too, so
// that logs and traces lead to each other.
package logging

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/mattn/go-isatty"
	"go.opentelemetry.io/otel/trace"
)

// Options choose the logger's level and format.
type Options struct {
	// Level is debug, info, warn or error (default info).
	Level string
	// Format is json, text or auto: text on a terminal, JSON otherwise.
	Format string
}

// New returns a logger writing to w. Records logged with a context that
// carries a request id get a request_id attribute, and those logged in a
// span trace_id and span_id.
func New(w io.Writer, opts Options) *slog.Logger {
	hopts := &slog.HandlerOptions{Level: ParseLevel(opts.Level)}
	var h slog.Handler
	if useText(w, opts.Format) {
		h = slog.NewTextHandler(w, hopts)
	} else {
		h = slog.NewJSONHandler(w, hopts)
	}
	return slog.New(contextHandler{h})
}

// Discard returns a logger that drops everything, for tests and benchmarks.
func Discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

// ParseLevel maps a level name to a slog level; unknown names mean info.
func ParseLevel(s string) slog.Level {
	switch strings.ToLower(s) {
	case "debug":
		return slog.LevelDebug
	case "warn", "warning":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	default:
		return slog.LevelInfo
	}
}

func useText(w io.Writer, format string) bool {
	switch strings.ToLower(format) {
	case "text":
		return true
	case "json":
		return false
	}
	f, ok := w.(*os.File)
	return ok && isatty.IsTerminal(f.Fd())
}

type requestIDKey struct{}

// WithRequestID returns a context carrying the request id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the request id carried by ctx, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// contextHandler adds the context's request id and span to each record.
type contextHandler struct{ slog.Handler }

func (h contextHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestID(ctx); id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		r.AddAttrs(slog.String("trace_id", sc.TraceID().String()), slog.String("span_id", sc.SpanID().String()))
	}
	return h.Handler.Handle(ctx, r)
}

func (h contextHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return contextHandler{h.Handler.WithAttrs(attrs)}
}

func (h contextHandler) WithGroup(name string) slog.Handler {
	return contextHandler{h.Handler.WithGroup(name)}
}
