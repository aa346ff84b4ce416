package httpapi

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/upstatehq/upstate/pkg/httpx"
	"github.com/upstatehq/upstate/pkg/logging"
	"github.com/upstatehq/upstate/services/edge/internal/audit"
	"github.com/upstatehq/upstate/services/edge/internal/auth"
)

// Without its audit record a change is not made: when the audit log
// cannot be written, a write is answered 503 and the owning service is
// never asked to change anything.
func TestWritesWaitForTheAuditLog(t *testing.T) {
	pages := newPagesAPI(t)
	keys := fakeKeys{scopes: []auth.Scope{"status_pages"}}
	logger := logging.Discard()
	e := httpx.NewEcho(logger, prometheus.NewRegistry(), httpx.Options{})
	audits := &fakeAudits{beginErr: errors.New("database down")}
	Register(e, NewHandler(Backends{StatusPages: pages.fake}, keys, audits,
		NewAuthenticator(keys, time.Minute, clockwork.NewRealClock(), logger), "", clockwork.NewRealClock(), logger))
	api := &receiverAPI{t: t, e: e}

	rec, _ := api.do(http.MethodDelete, "/api/v1/status-pages/pag_1", "")
	if rec.Code != http.StatusServiceUnavailable || isChange(pages.fake.got) {
		t.Errorf("delete with the audit log down: %d, status page service called with %v", rec.Code, pages.fake.got)
	}
	if rec, _ := api.do(http.MethodGet, "/api/v1/status-pages/pag_1", ""); rec.Code != http.StatusOK {
		t.Errorf("a read with the audit log down: %d", rec.Code)
	}
}

// Every write route, and only those, is audited under the name
// audit.Describe gives it; a route that needs a write scope cannot avoid
// it, since require audits it.
func TestEveryWriteRouteIsNamed(t *testing.T) {
	e := echo.New()
	registerRoutes(e.Group(apiPrefix), &Handler{})
	registerCompatRoutes(e.Group(compatPrefix), &Handler{})
	var writes []string
	for _, r := range e.Routes() {
		if r.Method == http.MethodGet || strings.HasSuffix(r.Path, "*") || !slices.Contains(httpMethods, strings.ToLower(r.Method)) {
			continue
		}
		target := audit.Describe(r.Method, r.Path)
		if target.Action == "" || target.ObjectType == "" || !strings.HasPrefix(target.Action, target.ObjectType+".") {
			t.Errorf("%s %s: %+v", r.Method, r.Path, target)
		}
		if target.IDParam != "" && !strings.Contains(r.Path, ":"+target.IDParam) {
			t.Errorf("%s %s: id parameter %q is not in the path", r.Method, r.Path, target.IDParam)
		}
		writes = append(writes, r.Method+" "+r.Path+" "+target.Action)
	}
	if len(writes) < 30 {
		t.Errorf("only %d write routes: %v", len(writes), writes)
	}
}
