package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/upstatehq/upstate/pkg/grpcx"
	"github.com/upstatehq/upstate/pkg/httpx"
	"github.com/upstatehq/upstate/pkg/ids"
	"github.com/upstatehq/upstate/pkg/pgdb"
	"github.com/upstatehq/upstate/services/edge/internal/auth"
	"github.com/upstatehq/upstate/services/edge/internal/domain"
)

// apiKeyJSON is the REST representation of an API key.
type apiKeyJSON struct {
	ID         string       `json:"id"`
	Name       string       `json:"name"`
	Prefix     string       `json:"prefix"`
	Scopes     []auth.Scope `json:"scopes"`
	CreatedAt  time.Time    `json:"created_at"`
	LastUsedAt *time.Time   `json:"last_used_at"`
	// ExpiresAt is null for a key that does not expire.
	ExpiresAt *time.Time `json:"expires_at"`
	// Key is the secret, present only in the creation response.
	Key string `json:"key,omitempty"`
}

func toAPIKeyJSON(k domain.APIKey) apiKeyJSON {
	return apiKeyJSON{
		ID: k.ID, Name: k.Name, Prefix: k.Prefix, Scopes: k.Scopes, CreatedAt: k.CreatedAt,
		LastUsedAt: k.LastUsedAt, ExpiresAt: k.ExpiresAt,
	}
}

func (h *Handler) listKeys(c echo.Context) error {
	limit, cursor, err := pageParams(c)
	if err != nil {
		return err
	}
	after, err := keyCursor(cursor)
	if err != nil {
		return err
	}
	keys, err := h.visibleKeys(c.Request().Context(), principal(c), after, limit+1)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listOfRows(keys, limit, func(k domain.APIKey) string { return k.ID }, toAPIKeyJSON))
}

// visibleKeys lists up to limit keys after id after that p may see: only
// the keys it could have created, those whose scopes it holds itself.
func (h *Handler) visibleKeys(ctx context.Context, p auth.Principal, after string, limit int) ([]domain.APIKey, error) {
	keys, err := h.keys.ListKeys(ctx, p.OrgID, auth.Grantable(p.Scopes), after, limit)
	if err != nil {
		return nil, unavailable(err)
	}
	return keys, nil
}

// keyCursor returns the key id a cursor of the key listing carries ("" for
// ""). The listing hands out only key ids, so anything else is refused
// before it reaches the query: bytes Postgres would not take as text
// would otherwise answer 503, which clients retry forever.
func keyCursor(cursor string) (string, error) {
	after, err := grpcx.DecodeToken(cursor)
	if err != nil || (after != "" && !ids.HasPrefix(after, ids.APIKey)) {
		return "", errMalformedCursor()
	}
	return after, nil
}

// getKey answers a key of the caller's organisation that the caller could
// manage (whose scopes it holds); others are not found, as in the listing.
func (h *Handler) getKey(c echo.Context) error {
	p := principal(c)
	k, err := h.keys.GetKey(c.Request().Context(), p.OrgID, c.Param("id"))
	if err != nil {
		return keyError(err)
	}
	if !auth.Covers(p.Scopes, k.Scopes) {
		return keyError(domain.ErrNotFound)
	}
	return c.JSON(http.StatusOK, toAPIKeyJSON(k))
}

type createKeyBody struct {
	Name   string   `json:"name"`
	Scopes []string `json:"scopes"`
	// ExpiresAt is an RFC 3339 time; absent or null, the key never
	// expires.
	ExpiresAt *string `json:"expires_at"`
}

// expiry reads the body's expires_at at now: nil for none, else a time
// ahead of now, in UTC and to the microsecond as Postgres keeps it.
func (b createKeyBody) expiry(now time.Time) (*time.Time, error) {
	if b.ExpiresAt == nil {
		return nil, nil
	}
	t, err := parseInstant("expires_at", *b.ExpiresAt)
	if err != nil {
		return nil, err
	}
	t = t.UTC().Truncate(time.Microsecond)
	if err := domain.KeyExpiry(t, now); err != nil {
		return nil, httpx.Errorf(http.StatusUnprocessableEntity, httpx.CodeInvalidValue, "%v", err)
	}
	return &t, nil
}

func (h *Handler) createKey(c echo.Context) error {
	var body createKeyBody
	if err := httpx.DecodeJSON(c, &body); err != nil {
		return err
	}
	name, err := domain.KeyName(body.Name)
	if err != nil {
		return httpx.Errorf(http.StatusUnprocessableEntity, httpx.CodeInvalidValue, "%v", err)
	}
	scopes, err := auth.ParseScopes(body.Scopes)
	if err != nil {
		return httpx.Errorf(http.StatusUnprocessableEntity, httpx.CodeInvalidValue, "scopes: %v", err)
	}
	now := pgdb.Now(h.clock)
	expires, err := body.expiry(now)
	if err != nil {
		return err
	}
	p := principal(c)
	if !auth.Covers(p.Scopes, scopes) {
		return httpx.Errorf(http.StatusForbidden, httpx.CodeForbidden, "a key can only grant scopes it holds itself")
	}
	secret := auth.NewKey()
	k := domain.APIKey{
		ID: ids.New(ids.APIKey), OrgID: p.OrgID, Name: name, Prefix: secret.Prefix,
		Scopes: scopes, CreatedAt: now, ExpiresAt: expires,
	}
	if err := h.keys.CreateKey(c.Request().Context(), k, secret.Hash); err != nil {
		return unavailable(err)
	}
	out := toAPIKeyJSON(k)
	out.Key = secret.Secret
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/api-keys/"+k.ID)
	return c.JSON(http.StatusCreated, out)
}

// revokeKey revokes a key of the caller's organisation if the caller holds
// every scope of that key: otherwise a key holding only api_keys could
// revoke the keys of those who manage it.
func (h *Handler) revokeKey(c echo.Context) error {
	id := c.Param("id")
	p := principal(c)
	k, err := h.keys.GetKey(c.Request().Context(), p.OrgID, id)
	if err != nil {
		return keyError(err)
	}
	if missing := auth.Missing(p.Scopes, k.Scopes); len(missing) > 0 {
		return httpx.Errorf(http.StatusForbidden, httpx.CodeForbidden,
			"this API key cannot revoke %s: that key holds %s, which this key does not; a key manages only keys whose scopes it holds itself",
			id, joinScopes(missing))
	}
	if err := h.keys.RevokeKey(c.Request().Context(), p.OrgID, id, pgdb.Now(h.clock)); err != nil {
		return keyError(err)
	}
	h.auth.Forget(id)
	return c.NoContent(http.StatusNoContent)
}

// keyError answers 404 for a key that is not an active key of the
// caller's organisation, 503 for the store's failures.
func keyError(err error) error {
	if errors.Is(err, domain.ErrNotFound) {
		return httpx.Errorf(http.StatusNotFound, httpx.CodeNotFound, "api key not found")
	}
	return unavailable(err)
}

func joinScopes(scopes []auth.Scope) string {
	names := make([]string, len(scopes))
	for i, s := range scopes {
		names[i] = string(s)
	}
	return strings.Join(names, ", ")
}
