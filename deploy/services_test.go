package deploy

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/upstatehq/upstate/pkg/config"
)

// services lists the deployable services: every services/<x> with a
// cmd/<x>/config.go. A service that gains its binary is thereby required
// to have its manifests, its Compose service and its Dockerfile target.
func services(t testing.TB) []string {
	t.Helper()
	paths, err := filepath.Glob("../services/*/cmd/*/config.go")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range paths {
		cmd := filepath.Base(filepath.Dir(p))
		if svc := filepath.Base(filepath.Dir(filepath.Dir(filepath.Dir(p)))); svc == cmd {
			out = append(out, svc)
		}
	}
	if len(out) == 0 {
		t.Fatal("no services/<x>/cmd/<x>/config.go found")
	}
	slices.Sort(out)
	return out
}

// commands lists the programs under cmd/ (every cmd/<x> with a main.go):
// each is built by the Makefile and has an image of its own.
func commands(t testing.TB) []string {
	t.Helper()
	paths, err := filepath.Glob("../cmd/*/main.go")
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, 0, len(paths))
	for _, p := range paths {
		out = append(out, filepath.Base(filepath.Dir(p)))
	}
	if !slices.Contains(out, "upstate") {
		t.Fatalf("no cmd/upstate/main.go among %v", paths)
	}
	return out
}

var settingRow = regexp.MustCompile("^\\| `([A-Z][A-Z0-9_]*)` \\|")

// settings returns the environment variables a service's binary reads:
// the README's configuration table of the binary, which its own test
// (config.CheckBinary) regenerates from the `env` tags of its Config
// struct, so it is exactly what the struct reads.
func settings(t testing.TB, service string) map[string]bool {
	t.Helper()
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	table, err := config.Section(string(readme), service)
	if err != nil {
		t.Fatalf("the configuration table of %s: %v", service, err)
	}
	out := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(table))
	for sc.Scan() {
		if m := settingRow.FindStringSubmatch(sc.Text()); m != nil {
			out[m[1]] = true
		}
	}
	if len(out) == 0 {
		t.Fatalf("the README's configuration table of %s lists no variable", service)
	}
	return out
}

// unread returns the names a service is given that its configuration
// does not read, sorted.
func unread(names []string, read map[string]bool) []string {
	var out []string
	for _, n := range names {
		if !read[n] {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// consumer is a durable JetStream consumer: a stream and its name.
type consumer struct{ stream, durable string }

var msgNext = regexp.MustCompile(`"\$JS\.API\.CONSUMER\.MSG\.NEXT\.([A-Z_]+)\.([a-z0-9-]+)"`)

// consumers returns the durable consumers each NATS user pulls from, read
// from deploy/nats/auth.conf (generated from the code that names the
// durables; a test of cmd/upstate fails when it is stale). The reader's
// deny list names every durable too, so only "allow" blocks of the
// services' users count.
func consumers(t testing.TB) map[string][]consumer {
	t.Helper()
	b, err := os.ReadFile("nats/auth.conf")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]consumer{}
	user := ""
	for line := range strings.SplitSeq(string(b), "\n") {
		line = strings.TrimSpace(line)
		if u, ok := strings.CutPrefix(line, `user: "upstate-`); ok {
			user = strings.TrimSuffix(u, `"`)
			continue
		}
		if strings.HasPrefix(line, "user: ") || strings.HasPrefix(line, "deny:") {
			user = ""
			continue
		}
		if m := msgNext.FindStringSubmatch(line); m != nil && user != "" {
			out[user] = append(out[user], consumer{m[1], m[2]})
		}
	}
	return out
}
