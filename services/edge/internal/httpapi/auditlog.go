package httpapi

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/upstatehq/upstate/pkg/grpcx"
	"github.com/upstatehq/upstate/pkg/httpx"
	"github.com/upstatehq/upstate/pkg/ids"
	"github.com/upstatehq/upstate/services/edge/internal/audit"
)

// auditEntryJSON is the REST representation of an audit log entry.
type auditEntryJSON struct {
	ID     string         `json:"id"`
	Actor  auditActorJSON `json:"actor"`
	Action string         `json:"action"`
	Object auditObjJSON   `json:"object"`
	// Before and After are null when there is none.
	Before    json.RawMessage `json:"before"`
	After     json.RawMessage `json:"after"`
	Outcome   audit.Outcome   `json:"outcome"`
	Status    int             `json:"status"`
	Method    string          `json:"method"`
	Path      string          `json:"path"`
	SourceIP  string          `json:"source_ip"`
	RequestID string          `json:"request_id"`
	CreatedAt time.Time       `json:"created_at"`
}

type auditActorJSON struct {
	KeyID   string `json:"key_id"`
	KeyName string `json:"key_name"`
}

type auditObjJSON struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

func toAuditEntryJSON(e audit.Entry) auditEntryJSON {
	return auditEntryJSON{
		ID: e.ID, Actor: auditActorJSON{KeyID: e.ActorKeyID, KeyName: e.ActorKeyName}, Action: e.Action,
		Object: auditObjJSON{Type: e.ObjectType, ID: e.ObjectID}, Before: nullJSON(e.Before), After: nullJSON(e.After),
		Outcome: e.Outcome, Status: e.Status, Method: e.Method, Path: e.Path, SourceIP: e.SourceIP,
		RequestID: e.RequestID, CreatedAt: e.At.UTC(),
	}
}

func nullJSON(doc json.RawMessage) json.RawMessage {
	if len(doc) == 0 {
		return json.RawMessage("null")
	}
	return doc
}

// listAuditLog answers the organisation's audit log, newest first,
// narrowed by ?actor= (a key id), ?object_type=, ?object_id=, ?action=,
// ?since= and ?until= (RFC 3339; since inclusive, until exclusive).
func (h *Handler) listAuditLog(c echo.Context) error {
	limit, cursor, err := pageParams(c)
	if err != nil {
		return err
	}
	before, err := grpcx.DecodeToken(cursor)
	if err != nil || (before != "" && !ids.HasPrefix(before, ids.AuditEntry)) {
		return errMalformedCursor()
	}
	f := audit.Filter{
		ActorKeyID: c.QueryParam("actor"), ObjectType: c.QueryParam("object_type"),
		ObjectID: c.QueryParam("object_id"), Action: c.QueryParam("action"),
	}
	for _, b := range []struct {
		name string
		to   *time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		if s := c.QueryParam(b.name); s != "" {
			if *b.to, err = parseInstant(b.name, s); err != nil {
				return err
			}
		}
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Until.After(f.Since) {
		return httpx.Errorf(http.StatusUnprocessableEntity, httpx.CodeInvalidValue, "until must be after since")
	}
	entries, err := h.audits.ListAudit(c.Request().Context(), principal(c).OrgID, f, before, limit+1)
	if err != nil {
		return unavailable(err)
	}
	return c.JSON(http.StatusOK, listOfRows(entries, limit, func(e audit.Entry) string { return e.ID }, toAuditEntryJSON))
}
