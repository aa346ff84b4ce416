package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/upstatehq/upstate/pkg/httpx"
	"github.com/upstatehq/upstate/pkg/ids"
	"github.com/upstatehq/upstate/pkg/pgdb"
	"github.com/upstatehq/upstate/services/edge/internal/audit"
)

// AuditLog is the audit log store the edge writes ahead of every change.
type AuditLog interface {
	BeginAudit(ctx context.Context, e audit.Entry) error
	FinishAudit(ctx context.Context, e audit.Entry) (bool, error)
	DropAudit(ctx context.Context, id string) error
	ListAudit(ctx context.Context, orgID string, f audit.Filter, beforeID string, limit int) ([]audit.Entry, error)
}

// audited runs a write route's handler under the audit log: what it
// changes is named from the route (audit.Describe), the object is read
// before (through the route's GET twin), the intent is committed before
// the handler may call the owning service, and the answer decides the
// entry. require calls it for every route that needs a write scope, so a
// route is audited by being a write route, whoever adds it.
//
// No change goes unrecorded: without a committed intent the change is not
// attempted (503), and an intent the edge could not finish (it stopped,
// or its database went away after the change) is recorded by the sweeper
// with outcome unknown. The answer is held until the entry is stored, so
// a client that saw a change succeed finds it in the log.
func (h *Handler) audited(c echo.Context, next echo.HandlerFunc) error {
	req := c.Request()
	p := principal(c)
	t := audit.Describe(req.Method, c.Path())
	e := audit.Entry{
		ID: ids.New(ids.AuditEntry), OrgID: p.OrgID, ActorKeyID: p.KeyID, ActorKeyName: p.KeyName,
		Action: t.Action, ObjectType: t.ObjectType, Method: req.Method, Path: req.URL.Path,
		SourceIP: c.RealIP(), RequestID: c.Response().Header().Get(echo.HeaderXRequestID), At: pgdb.Now(h.clock),
	}
	if t.IDParam != "" {
		e.ObjectID = c.Param(t.IDParam)
		e.Before = h.readBefore(c, t.IDParam)
	}
	ctx := req.Context()
	if err := h.audits.BeginAudit(ctx, e); err != nil {
		return httpx.Unavailable("the audit log is unavailable, so no change is made; retry shortly", err)
	}

	res := c.Response()
	client := res.Writer
	held := &heldResponse{header: client.Header()}
	res.Writer = held
	err := func() error {
		// Even if the handler panics, whoever recovers answers the client;
		// the intent then stays, and is swept as unknown.
		defer func() { res.Writer = client }()
		return next(c)
	}()

	e.Status = res.Status
	if err != nil {
		e.Status = errorStatus(err)
	}
	// The entry is written even if the client went away: the change may
	// have been made.
	ctx = context.WithoutCancel(ctx)
	switch {
	case e.Status >= 400 && e.Status < 500:
		// Refused: nothing changed, nothing to record.
		if dropErr := h.audits.DropAudit(ctx, e.ID); dropErr != nil {
			h.logger.WarnContext(ctx, "drop audit intent; it will be recorded as unknown", "audit_id", e.ID, "err", dropErr)
		}
	default:
		e.Outcome = audit.Unknown
		if e.Status < 400 {
			e.Outcome = audit.Succeeded
			if e.Status != http.StatusNoContent {
				e.After = audit.Redact(held.body.Bytes())
			}
			if e.ObjectID == "" {
				e.ObjectID = objectID(e.After)
			}
		}
		if _, finErr := h.audits.FinishAudit(ctx, e); finErr != nil {
			// The intent stays; the sweeper records it as unknown.
			h.logger.ErrorContext(ctx, "record audit entry; its intent will be recorded as unknown", "audit_id", e.ID, "err", finErr)
		}
	}
	if err == nil && res.Committed {
		client.WriteHeader(res.Status)
		_, writeErr := client.Write(held.body.Bytes())
		return writeErr
	}
	return err
}

// errorStatus is the status the error handler answers err with.
func errorStatus(err error) int {
	var he *httpx.Error
	if errors.As(err, &he) {
		return he.Status
	}
	var ee *echo.HTTPError
	if errors.As(err, &ee) {
		return ee.Code
	}
	return http.StatusInternalServerError
}

// readBefore returns the object a write route is about to change as its
// GET twin answers it, secrets removed: GET on the same path when the API
// has it (PUT /services/:id/dependencies), else GET on the path up to the
// object's id (POST /alerts/:id/ack reads /alerts/:id). Nil when there is
// no twin or it does not answer 200: the entry then has no before.
func (h *Handler) readBefore(c echo.Context, idParam string) json.RawMessage {
	route, path := c.Path(), c.Request().URL.Path
	if !h.getRoutes[route] {
		rs, ps := strings.Split(route, "/"), strings.Split(path, "/")
		i := slices.Index(rs, ":"+idParam)
		if i < 0 || len(ps) != len(rs) {
			return nil
		}
		route, path = strings.Join(rs[:i+1], "/"), strings.Join(ps[:i+1], "/")
		if !h.getRoutes[route] {
			return nil
		}
	}
	// The read is the audit log's, not the caller's: it needs no read
	// scope, and its answer goes only into the entry.
	status, body, err := serveInternal(c, http.MethodGet, path, nil, func(twin echo.Context) {
		twin.Set(auditReadAs, principal(c))
	})
	if err != nil || status != http.StatusOK {
		return nil
	}
	return audit.Redact(body)
}

// auditReadAs marks an internal read made for the audit log, holding the
// principal it is made for (require lets it through).
const auditReadAs = "audit_read_as"

// serveInternal runs a request through the API's own route for it, as
// the caller of c: the route's middleware (authentication, scopes, the
// audit log of writes) included, under the same request id. prepare, when
// set, adjusts the new context before it runs. It returns the status and
// the body answered, or the handler's error.
func serveInternal(c echo.Context, method, path string, body []byte, prepare func(echo.Context)) (int, []byte, error) {
	req := c.Request().Clone(c.Request().Context())
	req.Method = method
	req.URL.Path, req.URL.RawPath, req.URL.RawQuery = path, "", ""
	req.Body, req.ContentLength = http.NoBody, 0
	if body != nil {
		req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		req.Header.Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
	}
	held := &heldResponse{header: http.Header{}}
	held.header.Set(echo.HeaderXRequestID, c.Response().Header().Get(echo.HeaderXRequestID))
	inner := c.Echo().NewContext(req, held)
	c.Echo().Router().Find(method, path, inner)
	if prepare != nil {
		prepare(inner)
	}
	if err := inner.Handler()(inner); err != nil {
		return errorStatus(err), nil, err
	}
	return inner.Response().Status, held.body.Bytes(), nil
}

// objectID is the "id" of a created object's JSON.
func objectID(doc json.RawMessage) string {
	var v struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(doc, &v) != nil {
		return ""
	}
	return v.ID
}

// heldResponse keeps an answer until the audit entry is stored.
type heldResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *heldResponse) Header() http.Header         { return r.header }
func (r *heldResponse) WriteHeader(status int)      { r.status = status }
func (r *heldResponse) Write(b []byte) (int, error) { return r.body.Write(b) }
