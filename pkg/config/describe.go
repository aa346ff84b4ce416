package config

import (
	"fmt"
	"log/slog"
	"os"
	"reflect"
	"slices"
	"strings"
)

// Setting is one environment variable a configuration reads: its name, its
// default and what it means, all taken from the struct tags of the field
// that holds it (`env`, `envDefault`, `doc`), so the documentation of a
// setting lives in exactly one place.
type Setting struct {
	Name    string
	Default string
	Doc     string
	// field is the Go field name, for turning the parser's errors back into
	// the variable's name.
	field string
	// index is the field's place in the struct (reflect.Value.FieldByIndex),
	// for reading its value.
	index []int
}

// Describe lists the settings of a configuration struct (or pointer to
// one) in field order, following embedded and nested structs. A variable
// that several services read (bin/upstate holds them all) is listed once,
// where it comes first; their fields share its tags.
func Describe(cfg any) []Setting {
	t := reflect.TypeOf(cfg)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var all []Setting
	describe(t, nil, &all)
	out := all[:0]
	seen := map[string]bool{}
	for _, s := range all {
		if !seen[s.Name] {
			seen[s.Name] = true
			out = append(out, s)
		}
	}
	return out
}

func describe(t reflect.Type, index []int, out *[]Setting) {
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			// The parser cannot set it, and its value cannot be read.
			continue
		}
		at := append(slices.Clip(index), i)
		name, _, _ := strings.Cut(f.Tag.Get("env"), ",")
		if name == "" {
			if f.Type.Kind() == reflect.Struct {
				describe(f.Type, at, out)
			}
			continue
		}
		*out = append(*out, Setting{Name: name, Default: f.Tag.Get("envDefault"), Doc: f.Tag.Get("doc"), field: f.Name, index: at})
	}
}

// LogValue is cfg (a configuration struct or a pointer to one) as the log
// line at a process's start shows it: each setting under its variable's
// name, secrets masked (config.Secret). Fields that are no setting are
// left out: a configuration may carry what tunes a component beyond the
// environment (a function, a client), which a log handler cannot print.
func LogValue(cfg any) slog.Value {
	v := reflect.ValueOf(cfg)
	for v.Kind() == reflect.Pointer && !v.IsNil() {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return slog.AnyValue(cfg)
	}
	settings := Describe(v.Interface())
	attrs := make([]slog.Attr, 0, len(settings))
	for _, s := range settings {
		attrs = append(attrs, slog.Any(s.Name, v.FieldByIndex(s.index).Interface()))
	}
	return slog.GroupValue(attrs...)
}

// Markdown renders settings as the table the README shows. In a doc tag,
// where backquotes cannot go, {x} stands for code: `x`.
func Markdown(settings []Setting) string {
	var b strings.Builder
	b.WriteString("| variable | default | meaning |\n|---|---|---|\n")
	for _, s := range settings {
		def := "*(empty)*"
		if s.Default != "" {
			def = "`" + s.Default + "`"
		}
		doc := strings.NewReplacer("{", "`", "}", "`").Replace(s.Doc)
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", s.Name, def, doc)
	}
	return b.String()
}

// Section returns the text of a README between the lines
// "<!-- config:NAME -->" and "<!-- /config:NAME -->", which tests compare
// with Markdown of the binary's settings.
func Section(readme, name string) (string, error) {
	begin, end := "<!-- config:"+name+" -->\n", "<!-- /config:"+name+" -->"
	_, rest, ok := strings.Cut(readme, begin)
	if !ok {
		return "", fmt.Errorf("no %q line", strings.TrimSpace(begin))
	}
	body, _, ok := strings.Cut(rest, end)
	if !ok {
		return "", fmt.Errorf("no %q line", end)
	}
	return body, nil
}

// CheckBinary is the configuration test of a binary whose settings are
// C: its defaults (with environ added) load and validate, and the README
// at readme shows its table between the config:name markers (with
// UPSTATE_UPDATE_README=1 in the environment, it rewrites the table). Each
// binary's tests call it, so the README cannot drift from the one
// definition of a setting.
func CheckBinary[C interface{ Validate() error }](readme, name string, environ ...string) error {
	cfg, err := LoadFrom[C](environ)
	if err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("defaults refused: %w", err)
	}
	b, err := os.ReadFile(readme)
	if err != nil {
		return err
	}
	got, err := Section(string(b), name)
	if err != nil {
		return fmt.Errorf("%s: %w", readme, err)
	}
	want := Markdown(Describe(cfg))
	if got == want {
		return nil
	}
	if os.Getenv("UPSTATE_UPDATE_README") == "1" {
		// The markers are replaced with the table: an empty table (a new
		// binary's) would otherwise match the README's very start.
		begin, end := "<!-- config:"+name+" -->\n", "<!-- /config:"+name+" -->"
		return os.WriteFile(readme, []byte(strings.Replace(string(b), begin+got+end, begin+want+end, 1)), 0o644)
	}
	return fmt.Errorf("%s: the configuration table of %s is stale (UPSTATE_UPDATE_README=1 rewrites it); between its markers it should read:\n%s", readme, name, want)
}
