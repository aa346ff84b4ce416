package httpx

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"
)

// DefaultAccessLogBuffer is how many access-log lines an AccessLog holds
// for its writer unless told otherwise: at 10,000 requests a second, a
// writer stalled for 0.4 s.
const DefaultAccessLogBuffer = 4096

// AccessLog writes a listener's access-log lines from a goroutine of its
// own, so that a request never waits for the log: the request hands its
// line to a bounded buffer and moves on, and the writer formats, redacts
// and writes it. When the writer falls behind and the buffer is full the
// line is dropped and counted in http_access_log_dropped_total rather than
// holding the request up. Pass it as Options.AccessLog; Close it once the
// listener has stopped serving.
type AccessLog struct {
	logger  *slog.Logger
	lines   chan accessLine
	dropped prometheus.Counter
	quit    chan struct{}
	done    chan struct{}
	once    sync.Once
}

// accessLine is one request as the access log tells it. It is passed by
// value through the buffer: only the strings the request already had are
// shared, so handing it over allocates nothing.
type accessLine struct {
	at        time.Time
	requestID string
	span      trace.SpanContext // the request's span, when traced
	method    string
	path      string // not yet redacted: the writer does it, with redact
	redact    func(string) string
	route     string
	status    int
	bytes     int64
	elapsed   time.Duration
	remoteIP  string
	// flushed, when set, marks not a request but a Flush: the writer
	// closes it once every line before it is written.
	flushed chan struct{}
}

// NewAccessLog starts a writer of access-log lines to logger holding up to
// buffer lines (DefaultAccessLogBuffer when not positive), and registers
// its counter of dropped lines with reg (if not nil).
func NewAccessLog(logger *slog.Logger, reg prometheus.Registerer, buffer int) *AccessLog {
	if buffer <= 0 {
		buffer = DefaultAccessLogBuffer
	}
	l := &AccessLog{
		logger: logger,
		lines:  make(chan accessLine, buffer),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "http_access_log_dropped_total",
			Help: "Access-log lines dropped because the log's writer had fallen behind and its buffer was full; requests never wait for the log. http_requests_total counts every request.",
		}),
		quit: make(chan struct{}),
		done: make(chan struct{}),
	}
	if reg != nil {
		reg.MustRegister(l.dropped)
	}
	go l.run()
	return l
}

// add hands a line to the writer without waiting: a full buffer drops it.
func (l *AccessLog) add(line accessLine) {
	select {
	case l.lines <- line:
	default:
		l.dropped.Inc()
	}
}

// Flush waits until every line handed over before it is written, or ctx
// ends. A full buffer delays it; after Close it returns at once.
func (l *AccessLog) Flush(ctx context.Context) error {
	flushed := make(chan struct{})
	select {
	case l.lines <- accessLine{flushed: flushed}:
	case <-l.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-flushed:
		return nil
	case <-l.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close writes the lines still buffered and stops the writer, or gives up
// when ctx ends. Call it once the listener has stopped serving: a line
// handed over after Close is never written.
func (l *AccessLog) Close(ctx context.Context) error {
	l.once.Do(func() { close(l.quit) })
	select {
	case <-l.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (l *AccessLog) run() {
	defer close(l.done)
	for {
		select {
		case line := <-l.lines:
			l.write(line)
		case <-l.quit:
			for {
				select {
				case line := <-l.lines:
					l.write(line)
				default:
					return
				}
			}
		}
	}
}

func (l *AccessLog) write(line accessLine) {
	if line.flushed != nil {
		close(line.flushed)
		return
	}
	writeAccessLine(l.logger, line)
}

// writeAccessLine writes one line to logger, with the path redacted. The
// line is the one the request would have logged itself, request id
// included, with the time the request ended.
func writeAccessLine(logger *slog.Logger, line accessLine) {
	ctx := context.Background()
	if line.span.IsValid() {
		// The logger's handler adds its trace and span ids.
		ctx = trace.ContextWithSpanContext(ctx, line.span)
	}
	if !logger.Enabled(ctx, slog.LevelInfo) {
		return
	}
	r := slog.NewRecord(line.at, slog.LevelInfo, "http request", 0)
	r.AddAttrs(
		slog.String("method", line.method),
		slog.String("path", redactHexRuns(line.redact(line.path))),
		slog.String("route", line.route),
		slog.Int("status", line.status),
		slog.Int64("bytes", line.bytes),
		slog.Float64("duration_ms", float64(line.elapsed.Microseconds())/1000),
		slog.String("remote_ip", line.remoteIP),
	)
	if line.requestID != "" {
		r.AddAttrs(slog.String("request_id", line.requestID))
	}
	// A failing log destination has nowhere to be reported.
	_ = logger.Handler().Handle(ctx, r)
}
