package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

// The OpenAPI document (openapi.json, embedded as openAPI) is maintained by
// hand. These tests keep it well-formed, self-contained, canonically
// formatted and in step with registerRoutes.

// apiPrefix is where registerRoutes is mounted.
const apiPrefix = "/api/v1"

// publicOperations are the operations served without an API key.
var publicOperations = map[string]bool{
	"GET " + apiPrefix + "/openapi.json": true,
}

// httpMethods are the keys of an OpenAPI path item that are operations.
var httpMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// responseKey matches the keys of an OpenAPI responses object.
var responseKey = regexp.MustCompile(`^([1-5][0-9][0-9]|[1-5]XX|default)$`)

// templateParam matches a path template parameter ("{id}").
var templateParam = regexp.MustCompile(`\{([^}]+)\}`)

// operation is one documented path+method.
type operation struct {
	method string // upper case
	path   string // OpenAPI template, e.g. /api/v1/services/{id}
	op     map[string]any
	item   map[string]any // the path item, for path-level parameters
}

func (o operation) String() string { return o.method + " " + o.path }

func parseOpenAPI(t *testing.T) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		t.Fatalf("openapi.json is not valid JSON: %v", err)
	}
	return doc
}

func operations(t *testing.T, doc map[string]any) []operation {
	t.Helper()
	paths, ok := doc["paths"].(map[string]any)
	if !ok {
		t.Fatal("openapi.json has no paths object")
	}
	var ops []operation
	for path, v := range paths {
		item, ok := v.(map[string]any)
		if !ok {
			t.Errorf("paths[%q] is not an object", path)
			continue
		}
		for _, m := range httpMethods {
			if raw, present := item[m]; present {
				op, ok := raw.(map[string]any)
				if !ok {
					t.Errorf("%s %s is not an object", strings.ToUpper(m), path)
					continue
				}
				ops = append(ops, operation{method: strings.ToUpper(m), path: path, op: op, item: item})
			}
		}
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].String() < ops[j].String() })
	return ops
}

func TestOpenAPIDocumentIsValid(t *testing.T) {
	doc := parseOpenAPI(t)

	if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.1") {
		t.Errorf("openapi = %q, want 3.1.x", v)
	}
	if info, _ := doc["info"].(map[string]any); info == nil || info["title"] == nil || info["version"] == nil {
		t.Error("info must have a title and a version")
	}

	ops := operations(t, doc)
	if len(ops) == 0 {
		t.Fatal("openapi.json documents no operation")
	}
	ids := map[string]string{}
	for _, o := range ops {
		id, _ := o.op["operationId"].(string)
		switch {
		case id == "":
			t.Errorf("%s: no operationId", o)
		case ids[id] != "":
			t.Errorf("%s: operationId %q is also used by %s", o, id, ids[id])
		default:
			ids[id] = o.String()
		}
		for _, field := range []string{"summary", "description"} {
			if s, _ := o.op[field].(string); strings.TrimSpace(s) == "" {
				t.Errorf("%s: no %s", o, field)
			}
		}
		if tags, _ := o.op["tags"].([]any); len(tags) == 0 {
			t.Errorf("%s: no tags", o)
		}
		if _, ok := o.op["parameters"].([]any); !ok {
			t.Errorf("%s: no parameters array (use [] when there are none)", o)
		}
		checkPathParameters(t, doc, o)
		checkRequestBody(t, doc, o)

		responses, _ := o.op["responses"].(map[string]any)
		has2xx := false
		for code := range responses {
			if !responseKey.MatchString(code) {
				t.Errorf("%s: response key %q is not a status code", o, code)
			}
			if strings.HasPrefix(code, "2") {
				has2xx = true
			}
		}
		if !has2xx {
			t.Errorf("%s: no 2xx response", o)
		}

		security, ok := o.op["security"].([]any)
		if !ok {
			t.Errorf("%s: no security array", o)
			continue
		}
		if publicOperations[o.String()] {
			if len(security) != 0 {
				t.Errorf("%s is public: its security must be []", o)
			}
			continue
		}
		if len(security) == 0 {
			t.Errorf("%s: security is empty, but only %v are public", o, keys(publicOperations))
		}
		if _, ok := responses["401"]; !ok {
			t.Errorf("%s: no 401 response", o)
		}
		if _, ok := responses["403"]; !ok {
			t.Errorf("%s: no 403 response", o)
		}
		if desc, _ := o.op["description"].(string); !strings.Contains(desc, "Scope: `") {
			t.Errorf("%s: the description does not name the scope it needs (\"Scope: `…`\")", o)
		}
	}
}

// checkPathParameters checks that each {name} of the path template is
// declared as a required path parameter, and that no other is.
func checkPathParameters(t *testing.T, doc map[string]any, o operation) {
	t.Helper()
	want := map[string]bool{}
	for _, m := range templateParam.FindAllStringSubmatch(o.path, -1) {
		want[m[1]] = true
	}
	got := map[string]bool{}
	var params []any
	itemParams, _ := o.item["parameters"].([]any)
	opParams, _ := o.op["parameters"].([]any)
	params = append(append(params, itemParams...), opParams...)
	for _, p := range params {
		param, ok := deref(doc, p).(map[string]any)
		if !ok {
			t.Errorf("%s: a parameter is not an object (or its $ref does not resolve)", o)
			continue
		}
		name, _ := param["name"].(string)
		if in, _ := param["in"].(string); in != "path" {
			continue
		}
		if req, _ := param["required"].(bool); !req {
			t.Errorf("%s: path parameter %q must be required", o, name)
		}
		got[name] = true
	}
	for name := range want {
		if !got[name] {
			t.Errorf("%s: path parameter {%s} is not declared", o, name)
		}
	}
	for name := range got {
		if !want[name] {
			t.Errorf("%s: declares path parameter %q, which the path does not have", o, name)
		}
	}
}

// checkRequestBody checks that a request body is JSON with a schema and at
// least one example.
func checkRequestBody(t *testing.T, doc map[string]any, o operation) {
	t.Helper()
	raw, present := o.op["requestBody"]
	if !present {
		if o.method == http.MethodPost || o.method == http.MethodPut || o.method == http.MethodPatch {
			t.Errorf("%s: no requestBody", o)
		}
		return
	}
	body, _ := deref(doc, raw).(map[string]any)
	content, _ := body["content"].(map[string]any)
	media, _ := content["application/json"].(map[string]any)
	if media == nil {
		t.Errorf("%s: the request body has no application/json content", o)
		return
	}
	if media["schema"] == nil {
		t.Errorf("%s: the request body has no schema", o)
	}
	examples, _ := media["examples"].(map[string]any)
	if media["example"] == nil && len(examples) == 0 {
		t.Errorf("%s: the request body has no example", o)
	}
}

// deref follows a {"$ref": "#/…"} (repeatedly); anything else is returned
// as is. An unresolvable reference gives nil.
func deref(doc map[string]any, v any) any {
	for range 10 {
		m, ok := v.(map[string]any)
		if !ok {
			return v
		}
		ref, ok := m["$ref"].(string)
		if !ok {
			return v
		}
		target, err := resolvePointer(doc, ref)
		if err != nil {
			return nil
		}
		v = target
	}
	return nil
}

// resolvePointer resolves a local reference ("#/components/schemas/X").
func resolvePointer(doc map[string]any, ref string) (any, error) {
	pointer, ok := strings.CutPrefix(ref, "#")
	if !ok {
		return nil, fmt.Errorf("%q is not a reference inside the document", ref)
	}
	if pointer == "" {
		return doc, nil
	}
	if !strings.HasPrefix(pointer, "/") {
		return nil, fmt.Errorf("%q is not a JSON pointer", ref)
	}
	var cur any = doc
	for _, tok := range strings.Split(pointer[1:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch node := cur.(type) {
		case map[string]any:
			next, ok := node[tok]
			if !ok {
				return nil, fmt.Errorf("%q: no %q", ref, tok)
			}
			cur = next
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(node) {
				return nil, fmt.Errorf("%q: no index %q", ref, tok)
			}
			cur = node[i]
		default:
			return nil, fmt.Errorf("%q: %q is not inside an object or array", ref, tok)
		}
	}
	return cur, nil
}

func TestOpenAPIReferencesResolve(t *testing.T) {
	doc := parseOpenAPI(t)
	used := map[string]bool{}
	var walk func(v any, at string)
	walk = func(v any, at string) {
		switch node := v.(type) {
		case map[string]any:
			if ref, ok := node["$ref"]; ok {
				s, _ := ref.(string)
				if _, err := resolvePointer(doc, s); err != nil {
					t.Errorf("%s: $ref %v does not resolve: %v", at, ref, err)
				}
				used[s] = true
			}
			for k, child := range node {
				walk(child, at+"/"+escapePointer(k))
			}
		case []any:
			for i, child := range node {
				walk(child, fmt.Sprintf("%s/%d", at, i))
			}
		}
	}
	walk(doc, "#")

	// Every reusable component is used, so that none outlives its
	// operations unnoticed.
	components, _ := doc["components"].(map[string]any)
	for _, kind := range []string{"schemas", "responses", "parameters", "headers", "requestBodies", "examples"} {
		defs, _ := components[kind].(map[string]any)
		for name := range defs {
			if ref := "#/components/" + kind + "/" + name; !used[ref] {
				t.Errorf("%s is defined but never referenced", ref)
			}
		}
	}

	// Every security requirement names a defined scheme.
	schemes, _ := components["securitySchemes"].(map[string]any)
	requirements, _ := doc["security"].([]any)
	for _, o := range operations(t, doc) {
		s, _ := o.op["security"].([]any)
		requirements = append(requirements, s...)
	}
	for _, r := range requirements {
		req, _ := r.(map[string]any)
		for name := range req {
			if _, ok := schemes[name]; !ok {
				t.Errorf("security requirement names undefined scheme %q", name)
			}
		}
	}
}

// echoParam matches an echo path parameter (":id").
var echoParam = regexp.MustCompile(`:([^/]+)`)

func TestOpenAPIMatchesRoutes(t *testing.T) {
	e := echo.New()
	registerRoutes(e.Group(apiPrefix), &Handler{})

	routes := map[string]bool{}
	for _, r := range e.Routes() {
		if !slices.Contains(httpMethods, strings.ToLower(r.Method)) {
			continue // echo's own entries (route-not-found handlers, Any)
		}
		if strings.HasSuffix(r.Path, "*") {
			continue // catch-alls added by echo for group middleware
		}
		routes[r.Method+" "+echoParam.ReplaceAllString(r.Path, "{$1}")] = true
	}
	documented := map[string]bool{}
	for _, o := range operations(t, parseOpenAPI(t)) {
		documented[o.String()] = true
	}

	var missing, extra []string
	for r := range routes {
		if !documented[r] {
			missing = append(missing, r)
		}
	}
	for d := range documented {
		if !routes[d] {
			extra = append(extra, d)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 {
		t.Errorf("routes missing from openapi.json:\n\t%s", strings.Join(missing, "\n\t"))
	}
	if len(extra) > 0 {
		t.Errorf("operations in openapi.json without a route:\n\t%s", strings.Join(extra, "\n\t"))
	}
	if len(routes) == 0 {
		t.Error("registerRoutes registered no route")
	}
}

func TestOpenAPIIsCanonicallyFormatted(t *testing.T) {
	if err := checkNoDuplicateKeys(openAPI); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	var buf bytes.Buffer
	// json.Indent keeps trailing white space; the canonical form ends in
	// exactly one newline.
	if err := json.Indent(&buf, bytes.TrimRight(openAPI, " \t\r\n"), "", "  "); err != nil {
		t.Fatalf("openapi.json is not valid JSON: %v", err)
	}
	buf.WriteByte('\n')
	want := buf.Bytes()
	if bytes.Equal(openAPI, want) {
		return
	}
	got := strings.Split(string(openAPI), "\n")
	lines := strings.Split(string(want), "\n")
	for i := range max(len(got), len(lines)) {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(lines) {
			w = lines[i]
		}
		if g != w {
			t.Fatalf("openapi.json is not formatted with 2-space indentation and a final newline; line %d:\n\tgot:  %q\n\twant: %q", i+1, g, w)
		}
	}
	t.Fatal("openapi.json must end with exactly one newline")
}

// checkNoDuplicateKeys rejects an object with the same key twice, which
// json.Unmarshal would silently resolve to the last one (hiding, say, an
// operation).
func checkNoDuplicateKeys(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := checkValue(dec, "#"); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("data after the top-level value")
	}
	return nil
}

// checkValue reads one JSON value from dec, checking the keys of the
// objects in it; at is its location, for messages.
func checkValue(dec *json.Decoder, at string) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		seen := map[string]bool{}
		for dec.More() {
			keyTok, err := dec.Token()
			if err != nil {
				return err
			}
			key, _ := keyTok.(string)
			if seen[key] {
				return fmt.Errorf("duplicate key %q in %s", key, at)
			}
			seen[key] = true
			if err := checkValue(dec, at+"/"+escapePointer(key)); err != nil {
				return err
			}
		}
		_, err = dec.Token() // '}'
		return err
	case json.Delim('['):
		for i := 0; dec.More(); i++ {
			if err := checkValue(dec, fmt.Sprintf("%s/%d", at, i)); err != nil {
				return err
			}
		}
		_, err = dec.Token() // ']'
		return err
	}
	return nil
}

// escapePointer escapes a key as a JSON pointer token.
func escapePointer(key string) string {
	return strings.ReplaceAll(strings.ReplaceAll(key, "~", "~0"), "/", "~1")
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
