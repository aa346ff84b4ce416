package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/upstatehq/upstate/pkg/httpx"
)

// viewFuncs are the helpers of the console's templates.
var viewFuncs = template.FuncMap{
	"when": func(t any) string {
		switch v := t.(type) {
		case time.Time:
			return v.UTC().Format("2006-01-02 15:04:05 UTC")
		case *time.Time:
			if v == nil {
				return "—"
			}
			return v.UTC().Format("2006-01-02 15:04:05 UTC")
		}
		return ""
	},
	// local is a time as a datetime-local input's value (UTC).
	"local": func(t time.Time) string { return t.UTC().Format("2006-01-02T15:04") },
	"str": func(s *string) string {
		if s == nil {
			return ""
		}
		return *s
	},
	"pct": func(f *float64) string {
		if f == nil {
			return "—"
		}
		return fmt.Sprintf("%.3f %%", *f*100)
	},
	"join": strings.Join,
	"payload": func(p any) string {
		if raw, ok := p.(json.RawMessage); ok {
			var buf bytes.Buffer
			if json.Indent(&buf, raw, "", "  ") == nil {
				return buf.String()
			}
		}
		return fmt.Sprint(p)
	},
	"mapping":    mappingText,
	"percent":    func(f float64) float64 { return f * 100 },
	"sections":   func() []consoleSection { return consoleSections },
	"severities": func() []string { return severityChoices },
	"list":       func() []string { return nil },
	// dict passes several values to a shared template: "Key", value, ….
	"dict": func(kv ...any) (map[string]any, error) {
		if len(kv)%2 != 0 {
			return nil, errors.New("dict takes key and value pairs")
		}
		m := make(map[string]any, len(kv)/2)
		for i := 0; i < len(kv); i += 2 {
			k, ok := kv[i].(string)
			if !ok {
				return nil, errors.New("dict keys are strings")
			}
			m[k] = kv[i+1]
		}
		return m, nil
	},
	"has": slices.Contains[[]string],
}

// form reads a trimmed form field.
func form(c echo.Context, name string) string { return strings.TrimSpace(c.FormValue(name)) }

// formPtr is a form field, or nil when it is empty: the REST API's "not
// given".
func formPtr(c echo.Context, name string) *string {
	if v := form(c, name); v != "" {
		return &v
	}
	return nil
}

// formList is every value of a multi-valued field (checkboxes, multiple
// selects), without empty ones; none is an empty list, not JSON's null.
func formList(c echo.Context, name string) []string {
	out := []string{}
	f, err := c.FormParams()
	if err != nil {
		return out
	}
	for _, v := range f[name] {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// set is a PATCH field given with value.
func set[T any](value T) optional[T] { return optional[T]{set: true, value: value} }

// formTime reads a datetime-local field, which has no zone, as UTC (the
// console says so next to the field), in RFC 3339 as the REST API takes it;
// nil when empty.
func formTime(c echo.Context, name string) (*string, error) {
	v := form(c, name)
	if v == "" {
		return nil, nil
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", time.RFC3339} {
		if t, err := time.Parse(layout, v); err == nil {
			s := t.UTC().Format(time.RFC3339)
			return &s, nil
		}
	}
	return nil, httpx.Errorf(http.StatusUnprocessableEntity, httpx.CodeInvalidValue, "%s %q is not a date and time such as 2026-11-23T10:00", name, v)
}

// parseMapping reads a status mapping typed one "word = status" per line.
func parseMapping(text string) (map[string]string, error) {
	out := map[string]string{}
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		word, status, ok := strings.Cut(line, "=")
		word, status = strings.TrimSpace(word), strings.TrimSpace(status)
		if !ok || word == "" || status == "" {
			return nil, httpx.Errorf(http.StatusUnprocessableEntity, httpx.CodeInvalidValue,
				"status mapping line %d %q is not \"word = status\"", i+1, line)
		}
		out[word] = status
	}
	return out, nil
}

// mappingText is a status mapping as parseMapping reads it, sorted.
func mappingText(m map[string]string) string {
	lines := make([]string, 0, len(m))
	for k, v := range m {
		lines = append(lines, k+" = "+v)
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}
