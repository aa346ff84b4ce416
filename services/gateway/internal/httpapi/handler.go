// Package httpapi serves POST /api/webhooks/incoming/{token}: it checks the
// token, the rate limit, the receiver and the signature, remembers the
// sender's idempotency key, publishes one IngestEvent per delivery and
// answers with the delivery id (or, with ?wait=true, what became of it).
package httpapi

import (
	"context"
	"crypto/sha256"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/labstack/echo/v4"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/upstatehq/upstate/services/gateway/internal/domain"
	"github.com/upstatehq/upstate/services/gateway/internal/idempotency"
	"github.com/upstatehq/upstate/services/gateway/internal/metrics"
	"github.com/upstatehq/upstate/services/gateway/internal/ratelimit"
	"github.com/upstatehq/upstate/services/gateway/internal/receivers"
)

// Route is the webhook endpoint.
const Route = "/api/webhooks/incoming/:token"

// routePrefix is the path before the token.
const routePrefix = "/api/webhooks/incoming/"

// Resolver finds the receiver of a token; key is the token's SHA-256.
type Resolver interface {
	Resolve(ctx context.Context, key receivers.Key, token string) (*domain.Receiver, error)
}

// Idempotency records senders' idempotency keys.
type Idempotency interface {
	Claim(ctx context.Context, receiverID, key string, rec idempotency.Record) (got idempotency.Record, first bool, err error)
}

// Options tune the handler; zero values take the defaults.
type Options struct {
	// TrustedProxies are the peers whose X-Forwarded-For is believed.
	TrustedProxies []netip.Prefix
	// WaitTimeout bounds ?wait=true (default 10s).
	WaitTimeout time.Duration
}

// Handler serves the webhook endpoint.
type Handler struct {
	resolver    Resolver
	limiter     *ratelimit.Limiter
	idempotency Idempotency
	nc          *nats.Conn
	js          jetstream.JetStream
	sourceIP    echo.IPExtractor
	opts        Options
	clock       clockwork.Clock
	logger      *slog.Logger
	metrics     *metrics.Metrics
}

// New returns the handler over its dependencies. Deliveries are published
// asynchronously on js, which must have an acknowledgement timeout
// (jetstream.WithPublishAsyncTimeout): the handler waits for each
// acknowledgement until the handle reports it stored, failed or timed
// out. Its window of pending publishes (jetstream.WithPublishAsyncMaxPending)
// bounds the deliveries in flight. clock gives deliveries' received time,
// which the rate limit and signature checks go by.
func New(resolver Resolver, limiter *ratelimit.Limiter, idem Idempotency, nc *nats.Conn, js jetstream.JetStream,
	opts Options, clock clockwork.Clock, logger *slog.Logger, m *metrics.Metrics) *Handler {
	if opts.WaitTimeout <= 0 {
		opts.WaitTimeout = 10 * time.Second
	}
	return &Handler{
		resolver: resolver, limiter: limiter, idempotency: idem, nc: nc, js: js,
		sourceIP: SourceIPExtractor(opts.TrustedProxies),
		opts:     opts, clock: clock, logger: logger, metrics: m,
	}
}

// Register mounts the webhook endpoint on e.
func (h *Handler) Register(e *echo.Echo) {
	e.POST(Route, h.deliver)
}

// SourceIPExtractor returns the sender's address: the direct peer's, unless
// the peer is a trusted proxy, in which case the nearest untrusted address
// of X-Forwarded-For. Only the listed ranges are trusted — not loopback or
// private networks, which echo trusts by default.
func SourceIPExtractor(trusted []netip.Prefix) echo.IPExtractor {
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, p := range trusted {
		opts = append(opts, echo.TrustIPRange(&net.IPNet{
			IP:   p.Addr().AsSlice(),
			Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen()),
		}))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

// RedactPath hides the token of a webhook URL in logged paths, keeping its
// first characters to tell receivers apart.
func RedactPath(path string) string {
	rest, ok := strings.CutPrefix(path, routePrefix)
	if !ok {
		return path
	}
	token, tail, _ := strings.Cut(rest, "/")
	if tail != "" || strings.HasSuffix(rest, "/") {
		tail = "/" + tail
	}
	return routePrefix + token[:min(len(token), 6)] + "…" + tail
}

// validToken reports whether s looks like a token: 64 hex characters.
func validToken(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// tokenKey is the SHA-256 of a token, under which it is cached and limited.
// The token is copied to the stack first: converting it to a slice that
// escapes into the hash would allocate on every delivery.
func tokenKey(token string) receivers.Key {
	var buf [64]byte
	if len(token) > len(buf) {
		return sha256.Sum256([]byte(token))
	}
	return sha256.Sum256(buf[:copy(buf[:], token)])
}
