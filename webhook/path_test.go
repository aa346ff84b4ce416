package webhook

import (
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
)

func mustDecode(tb testing.TB, body string) any {
	tb.Helper()
	doc, err := DecodeJSON([]byte(body))
	if err != nil {
		tb.Fatalf("DecodeJSON(%s): %v", body, err)
	}
	return doc
}

func mustParse(tb testing.TB, s string) Path {
	tb.Helper()
	p, err := ParsePath(s)
	if err != nil {
		tb.Fatalf("ParsePath(%q): %v", s, err)
	}
	return p
}

func keys(p Path) []string {
	out := make([]string, len(p.segs))
	for i, sg := range p.segs {
		out[i] = sg.key
	}
	return out
}

func TestParsePath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want []string
	}{
		{"status", []string{"status"}},
		{"data.attributes.current_status", []string{"data", "attributes", "current_status"}},
		{"checks.0.state", []string{"checks", "0", "state"}},
		{`meta.app\.name`, []string{"meta", "app.name"}},
		{`a\\b`, []string{`a\b`}},
		{`a\\.b`, []string{`a\`, "b"}},
		{`\.\.`, []string{".."}},
		{"état.ok", []string{"état", "ok"}},
		{"with space", []string{"with space"}},
		{strings.Repeat("a.", MaxPathSegments-1) + "a", slices.Repeat([]string{"a"}, MaxPathSegments)},
		{strings.Repeat("é", MaxPathChars), []string{strings.Repeat("é", MaxPathChars)}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			p := mustParse(t, tt.in)
			if got := keys(p); !slices.Equal(got, tt.want) {
				t.Errorf("segments = %q, want %q", got, tt.want)
			}
			if got := p.String(); got != tt.in {
				t.Errorf("String() = %q, want %q", got, tt.in)
			}
		})
	}
}

func TestParsePathErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, msg string
	}{
		{"empty", "", "path is empty"},
		{"double dot", "a..b", "empty segment at offset 2"},
		{"leading dot", ".a", "empty segment at offset 0"},
		{"trailing dot", "a.", "empty segment at offset 2"},
		{"only a dot", ".", "empty segment at offset 0"},
		{"too long", strings.Repeat("a", MaxPathChars+1), "257 characters, at most 256"},
		{"too many segments", strings.Repeat("a.", MaxPathSegments) + "a", "more than 32 segments"},
		{"trailing backslash", `a\`, "backslash at offset 1"},
		{"unknown escape", `a\b`, "backslash at offset 1"},
		{"control character", "a\nb", "control character U+000A"},
		{"invalid utf-8", "a\xffb", "not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParsePath(tt.in)
			if !errors.Is(err, ErrInvalidPath) {
				t.Fatalf("err = %v, want ErrInvalidPath", err)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("err = %q, want it to contain %q", err, tt.msg)
			}
		})
	}
}

func TestExtractString(t *testing.T) {
	t.Parallel()
	const checks = `{"checks":[{"state":"up"},{"state":"down"}]}`
	tests := []struct {
		name, body, path string
		want             string
		found            bool
	}{
		{"top-level key", `{"status":"down"}`, "status", "down", true},
		{"nested", `{"data":{"attributes":{"current_status":"outage"}}}`, "data.attributes.current_status", "outage", true},
		{"first index", checks, "checks.0.state", "up", true},
		{"second index", checks, "checks.1.state", "down", true},
		{"index out of range", checks, "checks.2.state", "", false},
		{"huge index", checks, "checks.99999999999999999999999.state", "", false},
		{"leading zero is no index", checks, "checks.01.state", "", false},
		{"key on an array", checks, "checks.first.state", "", false},
		{"numeric key on an object", `{"checks":{"0":{"state":"degraded"}}}`, "checks.0.state", "degraded", true},
		{"leading zero key on an object", `{"checks":{"01":{"state":"degraded"}}}`, "checks.01.state", "degraded", true},
		{"escaped dot", `{"app.status":"ok","app":{"status":"down"}}`, `app\.status`, "ok", true},
		{"unescaped dot", `{"app.status":"ok","app":{"status":"down"}}`, "app.status", "down", true},
		{"escaped backslash", `{"a\\b":"ok"}`, `a\\b`, "ok", true},
		{"top-level array", `[{"status":"maintenance"}]`, "0.status", "maintenance", true},
		{"integer", `{"code":200}`, "code", "200", true},
		{"decimal", `{"v":1.5}`, "v", "1.5", true},
		{"number kept as sent", `{"v":1.50e3}`, "v", "1.50e3", true},
		{"negative", `{"v":-3}`, "v", "-3", true},
		{"true", `{"ok":true}`, "ok", "true", true},
		{"false", `{"ok":false}`, "ok", "false", true},
		{"empty string", `{"s":""}`, "s", "", true},
		{"null", `{"s":null}`, "s", "", false},
		{"object", `{"s":{"a":1}}`, "s", "", false},
		{"array", `{"s":[1]}`, "s", "", false},
		{"missing", `{"status":"down"}`, "state", "", false},
		{"through a scalar", `{"status":"down"}`, "status.x", "", false},
		{"through null", `{"status":null}`, "status.x", "", false},
		{"scalar document", `"down"`, "status", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, found := ExtractString(mustDecode(t, tt.body), mustParse(t, tt.path))
			if got != tt.want || found != tt.found {
				t.Errorf("ExtractString = %q, %v; want %q, %v", got, found, tt.want, tt.found)
			}
		})
	}
}

func TestLookup(t *testing.T) {
	t.Parallel()
	doc := mustDecode(t, `{"a":{"b":null,"c":[1,{"d":2}]}}`)
	tests := []struct {
		path  string
		want  string // JSON of the value
		found bool
	}{
		{"a.b", "null", true},
		{"a.c", `[1,{"d":2}]`, true},
		{"a.c.1", `{"d":2}`, true},
		{"a.c.1.d", "2", true},
		{"a.c.0.d", "", false},
		{"a.x", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			t.Parallel()
			v, found := mustParse(t, tt.path).Lookup(doc)
			if found != tt.found {
				t.Fatalf("found = %v, want %v", found, tt.found)
			}
			if !found {
				return
			}
			b, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.want {
				t.Errorf("value = %s, want %s", b, tt.want)
			}
		})
	}
	if v, found := (Path{}).Lookup(doc); found {
		t.Errorf("zero Path found %v", v)
	}
}

// Documents decoded without UseNumber hold float64; their text must match
// what encoding/json would write.
func TestExtractStringFloat64(t *testing.T) {
	t.Parallel()
	p := mustParse(t, "v")
	for _, f := range []float64{0, 200, -3, 1.5, 0.1, 1e20, 1e21, 1.25e-7, 1e-6, 123456789012, math.MaxFloat64, math.SmallestNonzeroFloat64} {
		want, err := json.Marshal(f)
		if err != nil {
			t.Fatal(err)
		}
		got, found := ExtractString(map[string]any{"v": f}, p)
		if !found || got != string(want) {
			t.Errorf("ExtractString(%v) = %q, %v; want %s", f, got, found, want)
		}
	}
	if got, found := ExtractString(map[string]any{"v": math.NaN()}, p); found {
		t.Errorf("NaN gave %q", got)
	}
}

func TestDecodeJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body string
		ok         bool
	}{
		{"object", `{"a":1}`, true},
		{"array", `[1,2]`, true},
		{"scalar", `"x"`, true},
		{"surrounding white space", " \n{\"a\":1}\r\n\t ", true},
		{"empty", "", false},
		{"only white space", "  ", false},
		{"second value", `{"a":1}{"b":2}`, false},
		{"trailing garbage", `{"a":1} x`, false},
		{"trailing bracket", `{"a":1}]`, false},
		{"truncated", `{"a":`, false},
		{"invalid", `{a:1}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := DecodeJSON([]byte(tt.body))
			if (err == nil) != tt.ok {
				t.Errorf("err = %v, want ok=%v", err, tt.ok)
			}
		})
	}
	doc := mustDecode(t, `{"n":10000000000000000000001}`)
	if n, ok := doc.(map[string]any)["n"].(json.Number); !ok || n != "10000000000000000000001" {
		t.Errorf("number decoded as %#v, want json.Number", doc.(map[string]any)["n"])
	}
}

func FuzzParsePath(f *testing.F) {
	for _, s := range []string{
		"status", "data.attributes.current_status", "checks.0.state", `a\.b`, `a\\.b`,
		`\\`, "a..b", ".a", "a.", `a\`, `a\x`, "0", "01", "-1", "é.ü", "a\x00b", "\xff",
		strings.Repeat("a.", 40),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePath(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidPath) {
				t.Fatalf("error %v does not wrap ErrInvalidPath", err)
			}
			return
		}
		out := p.String()
		if out != s {
			t.Errorf("String() = %q, want the input %q", out, s)
		}
		q, err := ParsePath(out)
		if err != nil {
			t.Fatalf("ParsePath(%q) of String(): %v", out, err)
		}
		if !slices.Equal(p.segs, q.segs) {
			t.Errorf("round trip: %q parsed as %q, its String %q as %q", s, keys(p), out, keys(q))
		}
		if n := len(p.segs); n == 0 || n > MaxPathSegments {
			t.Errorf("%d segments", n)
		}
		for _, sg := range p.segs {
			if sg.key == "" {
				t.Errorf("empty segment in %q", s)
			}
		}
	})
}

func FuzzLookup(f *testing.F) {
	f.Add(`{"data":{"attributes":{"current_status":"outage"}}}`, "data.attributes.current_status")
	f.Add(`{"checks":[{"state":"up"},{"state":"down"}]}`, "checks.1.state")
	f.Add(`{"checks":{"0":{"state":"up"}}}`, "checks.0.state")
	f.Add(`[{"status":1.5e3}]`, "0.status")
	f.Add(`{"a.b":true,"a":{"b":null}}`, `a\.b`)
	f.Add(`[[[[[]]]]]`, "0.0.0.0.0")
	f.Add(`"x"`, "x")
	f.Add(`{"a":1} {"b":2}`, "a")
	f.Fuzz(func(t *testing.T, body, path string) {
		doc, err := DecodeJSON([]byte(body))
		if err != nil {
			return
		}
		p, err := ParsePath(path)
		if err != nil {
			return
		}
		v, found := p.Lookup(doc)
		s, ok := ExtractString(doc, p)
		if ok && !found {
			t.Fatalf("ExtractString found %q where Lookup found nothing", s)
		}
		if ok {
			switch v.(type) {
			case string, json.Number, bool:
			default:
				t.Fatalf("ExtractString found %q for a %T", s, v)
			}
		}
	})
}
