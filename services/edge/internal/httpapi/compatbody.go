package httpapi

import (
	"encoding/json"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/upstatehq/upstate/pkg/httpx"
)

// spDecode reads a Statuspage request body into v: JSON
// ({"component":{"status":"major_outage"}}), or form-encoded as
// Statuspage's own curl examples send it (component[status]=major_outage,
// incident[component_ids][]=cmp_…, incident[components][cmp_…]=…),
// decoded as strictly as JSON: unknown fields are refused.
func spDecode(c echo.Context, v any) error {
	mt, _, _ := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentType))
	if mt != echo.MIMEApplicationForm {
		return httpx.DecodeJSON(c, v)
	}
	raw, err := httpx.ReadBody(c.Request())
	if err != nil {
		return err
	}
	form, err := url.ParseQuery(string(raw))
	if err != nil {
		return httpx.Errorf(http.StatusBadRequest, httpx.CodeBadRequest, "malformed form body: %v", err)
	}
	tree, err := formTree(form)
	if err != nil {
		return err
	}
	doc, err := json.Marshal(tree)
	if err != nil {
		return err
	}
	return httpx.DecodeJSONBytes(doc, v)
}

// formTree nests form fields named a[b][c] into objects
// ({"a":{"b":{"c":v}}}); a name ending in [] holds every value given as
// an array, any other name its last value.
func formTree(form url.Values) (map[string]any, error) {
	top := map[string]any{}
	for key, vals := range form {
		path, list, ok := formPath(key)
		if !ok {
			return nil, httpx.Errorf(http.StatusBadRequest, httpx.CodeBadRequest,
				"form field %q is not a name such as incident[name] or incident[component_ids][]", key)
		}
		node := top
		for _, seg := range path[:len(path)-1] {
			next, isMap := node[seg].(map[string]any)
			if node[seg] != nil && !isMap {
				return nil, httpx.Errorf(http.StatusBadRequest, httpx.CodeBadRequest, "form field %q conflicts with another", key)
			}
			if next == nil {
				next = map[string]any{}
				node[seg] = next
			}
			node = next
		}
		last := path[len(path)-1]
		if _, taken := node[last]; taken {
			return nil, httpx.Errorf(http.StatusBadRequest, httpx.CodeBadRequest, "form field %q conflicts with another", key)
		}
		if list {
			node[last] = vals
		} else {
			node[last] = vals[len(vals)-1]
		}
	}
	return top, nil
}

// formPath splits "incident[components][cmp_1]" into its names, and says
// whether it ends in "[]".
func formPath(key string) (path []string, list bool, ok bool) {
	name, rest, _ := strings.Cut(key, "[")
	if name == "" || strings.Contains(name, "]") {
		return nil, false, false
	}
	path = []string{name}
	if rest == "" {
		return path, false, !strings.Contains(key, "[")
	}
	rest = "[" + rest
	for rest != "" {
		if rest[0] != '[' {
			return nil, false, false
		}
		seg, after, found := strings.Cut(rest[1:], "]")
		if !found || strings.ContainsAny(seg, "[") {
			return nil, false, false
		}
		if seg == "" {
			if after != "" {
				return nil, false, false
			}
			return path, true, true
		}
		path = append(path, seg)
		rest = after
	}
	return path, false, true
}
