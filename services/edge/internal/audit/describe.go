package audit

import (
	"net/http"
	"strings"
)

// Target is what a write route does, as the audit log names it.
type Target struct {
	// Action is "<object type>.<verb>".
	Action string
	// ObjectType is the kind of object the route changes.
	ObjectType string
	// IDParam is the path parameter holding the object's id; empty when
	// the route creates the object, whose id is in its answer.
	IDParam string
}

// named are the routes whose verb their path does not say.
var named = map[string]Target{
	"PUT /services/:id":              {"service.set_status", "service", "id"},
	"PUT /services/:id/dependencies": {"service.set_dependencies", "service", "id"},
	"POST /incidents/:id/updates":    {"incident.add_update", "incident", "id"},
	"DELETE /maintenances/:id":       {"maintenance.cancel", "maintenance", "id"},
	"DELETE /api-keys/:id":           {"api_key.revoke", "api_key", "id"},
	"DELETE /silences/:id":           {"silence.expire", "silence", "id"},
}

// apiPrefixes are the roots of the API's routes, which names leave out.
var apiPrefixes = []string{"/api/v1", "/v1"}

// Describe names the change a write route makes from its method and its
// route pattern (echo's, "/api/v1/services/:id"), so that any write route,
// including one added later, is recorded under a name without saying
// anything: POST /things creates a thing, PATCH or PUT /things/:id updates
// it, DELETE deletes it, POST /things/:id/do-it is "thing.do_it", a
// nested /things/:id/parts/:part_id is the part itself.
func Describe(method, route string) Target {
	for _, p := range apiPrefixes {
		if rest, ok := strings.CutPrefix(route, p+"/"); ok {
			route = "/" + rest
			break
		}
	}
	if t, ok := named[method+" "+route]; ok {
		return t
	}
	segs := strings.Split(strings.Trim(route, "/"), "/")
	last := segs[len(segs)-1]
	switch {
	case isParam(last) && len(segs) >= 2:
		obj := singular(segs[len(segs)-2])
		return Target{Action: obj + "." + verb(method), ObjectType: obj, IDParam: last[1:]}
	case len(segs) >= 3 && isParam(segs[len(segs)-2]):
		// /things/:id/word: a nested collection one creates in, or an
		// action on the thing.
		if method == http.MethodPost && strings.HasSuffix(last, "s") {
			obj := singular(last)
			return Target{Action: obj + ".create", ObjectType: obj}
		}
		obj := singular(segs[len(segs)-3])
		v := snake(last)
		if method == http.MethodPut {
			v = "set_" + v
		}
		return Target{Action: obj + "." + v, ObjectType: obj, IDParam: segs[len(segs)-2][1:]}
	default:
		obj := singular(last)
		return Target{Action: obj + "." + verb(method), ObjectType: obj}
	}
}

// verb is what a method does to an object (or a collection, for POST).
func verb(method string) string {
	switch method {
	case http.MethodPost:
		return "create"
	case http.MethodDelete:
		return "delete"
	default:
		return "update"
	}
}

func isParam(seg string) bool { return strings.HasPrefix(seg, ":") }

func snake(s string) string { return strings.ReplaceAll(s, "-", "_") }

// singular turns a collection's path segment into its object type:
// "status-pages" → "status_page", "dependencies" → "dependency".
func singular(coll string) string {
	s := snake(coll)
	switch {
	case strings.HasSuffix(s, "ies"):
		return strings.TrimSuffix(s, "ies") + "y"
	case strings.HasSuffix(s, "s"):
		return strings.TrimSuffix(s, "s")
	}
	return s
}
