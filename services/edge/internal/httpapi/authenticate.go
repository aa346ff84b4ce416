package httpapi

import (
	"context"
	"crypto/sha256"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/labstack/echo/v4"

	"github.com/upstatehq/upstate/pkg/httpx"
	"github.com/upstatehq/upstate/services/edge/internal/auth"
	"github.com/upstatehq/upstate/services/edge/internal/domain"
)

// Keys is the API key store the edge needs.
type Keys interface {
	FindKey(ctx context.Context, hash []byte) (domain.APIKey, error)
	TouchKey(ctx context.Context, id string, at time.Time) error
	GetKey(ctx context.Context, orgID, id string) (domain.APIKey, error)
	ListKeys(ctx context.Context, orgID string, within []auth.Scope, afterID string, limit int) ([]domain.APIKey, error)
	CreateKey(ctx context.Context, k domain.APIKey, hash []byte) error
	RevokeKey(ctx context.Context, orgID, id string, at time.Time) error
}

// Authenticator resolves bearer keys, caching them briefly so that a busy
// key costs no database round trip per request. A revoked key stops working
// at once on the replica that revoked it and within the cache TTL on others;
// an expired key stops working at its expiry everywhere, since no cache
// entry outlives it.
type Authenticator struct {
	keys   Keys
	ttl    time.Duration
	clock  clockwork.Clock
	logger *slog.Logger

	mu    sync.Mutex
	cache map[[sha256.Size]byte]cached
	// gen counts revocations; a lookup that started before one does not
	// cache its result, which may predate the revocation.
	gen uint64
}

type cached struct {
	principal auth.Principal
	expires   time.Time
}

// touchEvery limits last_used_at writes to one per key per interval.
const touchEvery = time.Minute

// maxCached bounds the cache; past it, the cache starts over.
const maxCached = 10000

// NewAuthenticator returns an authenticator caching keys for ttl on clock.
func NewAuthenticator(keys Keys, ttl time.Duration, clock clockwork.Clock, logger *slog.Logger) *Authenticator {
	return &Authenticator{keys: keys, ttl: ttl, clock: clock, logger: logger, cache: map[[sha256.Size]byte]cached{}}
}

var errBadKey = httpx.Errorf(http.StatusUnauthorized, httpx.CodeUnauthorized, "invalid or revoked API key")

// Authenticate returns the principal of a key secret.
func (a *Authenticator) Authenticate(ctx context.Context, secret string) (auth.Principal, error) {
	var h [sha256.Size]byte
	copy(h[:], auth.Hash(secret))
	now := a.clock.Now()
	a.mu.Lock()
	c, ok := a.cache[h]
	gen := a.gen
	a.mu.Unlock()
	if ok && now.Before(c.expires) {
		return c.principal, nil
	}
	k, err := a.keys.FindKey(ctx, h[:])
	if errors.Is(err, domain.ErrNotFound) {
		return auth.Principal{}, errBadKey
	}
	if err != nil {
		return auth.Principal{}, unavailable(err)
	}
	if k.Expired(now) {
		return auth.Principal{}, httpx.Errorf(http.StatusUnauthorized, httpx.CodeUnauthorized,
			"this API key expired at %s", k.ExpiresAt.Format(time.RFC3339Nano))
	}
	if k.LastUsedAt == nil || now.Sub(*k.LastUsedAt) > touchEvery {
		if err := a.keys.TouchKey(ctx, k.ID, now); err != nil {
			// Bookkeeping only: the request goes on.
			a.logger.WarnContext(ctx, "record api key use", "key_id", k.ID, "err", err)
		}
	}
	p := auth.Principal{OrgID: k.OrgID, KeyID: k.ID, KeyName: k.Name, Scopes: k.Scopes}
	a.mu.Lock()
	if a.gen == gen {
		if len(a.cache) >= maxCached {
			a.cache = map[[sha256.Size]byte]cached{}
		}
		expires := now.Add(a.ttl)
		if k.ExpiresAt != nil && k.ExpiresAt.Before(expires) {
			expires = *k.ExpiresAt
		}
		a.cache[h] = cached{principal: p, expires: expires}
	}
	a.mu.Unlock()
	return p, nil
}

// Forget drops a revoked key from the cache.
func (a *Authenticator) Forget(keyID string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.gen++
	for h, c := range a.cache {
		if c.principal.KeyID == keyID {
			delete(a.cache, h)
		}
	}
}

// require authenticates the request and checks that the key's scopes allow
// action on resource: 401 without a valid key, 403 without the scope. A
// write is audited (see audited).
func (h *Handler) require(resource string, action auth.Action) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if p, ok := c.Get(auditReadAs).(auth.Principal); ok && action == auth.Read {
				c.Set("principal", p)
				return next(c)
			}
			// A console form's change comes with the key the person signed
			// in with, and is checked and audited like any other.
			p, ok := c.Get(consoleAs).(auth.Principal)
			if !ok {
				secret, ok := bearer(c.Request().Header.Get(echo.HeaderAuthorization))
				if !ok {
					c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="upstate"`)
					return httpx.Errorf(http.StatusUnauthorized, httpx.CodeUnauthorized,
						"missing API key: send Authorization: Bearer ak_live_…")
				}
				var err error
				if p, err = h.auth.Authenticate(c.Request().Context(), secret); err != nil {
					return err
				}
			}
			if !auth.Allows(p.Scopes, resource, action) {
				need := resource
				if action == auth.Read {
					need += ":read"
				}
				return httpx.Errorf(http.StatusForbidden, httpx.CodeForbidden,
					"this API key lacks the %q scope (or %q)", need, scopeForAll(action))
			}
			c.Set("principal", p)
			if action == auth.Write {
				return h.audited(c, next)
			}
			return next(c)
		}
	}
}

func scopeForAll(a auth.Action) auth.Scope {
	if a == auth.Read {
		return auth.ScopeRead
	}
	return auth.ScopeWrite
}

func principal(c echo.Context) auth.Principal {
	p, _ := c.Get("principal").(auth.Principal)
	return p
}

// bearer reads the key of an Authorization header: "Bearer <key>", or
// "OAuth <key>" as Statuspage's clients send it.
func bearer(header string) (string, bool) {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || (!strings.EqualFold(scheme, "Bearer") && !strings.EqualFold(scheme, "OAuth")) {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}
