package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The built binary, as a CI job runs it: configured by the environment,
// JSON on a pipe, exit codes as documented.
func TestBinary(t *testing.T) {
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "upstatectl")
	if b, err := exec.Command("go", "build", "-o", bin, "-ldflags", "-X main.version=1.2.3", "github.com/upstatehq/upstate/cmd/upstatectl").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, b)
	}
	s := startStack(t)
	id := s.createService("API")
	s.awaitStatusEvents(id, 1)

	run := func(args ...string) result {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "UPSTATE_URL="+s.baseURL, "UPSTATE_API_KEY="+bootstrapKey,
			"UPSTATE_NATS_URL="+s.natsURL, "UPSTATECTL_CONFIG="+s.configPath)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			t.Fatalf("run %v: %v", args, err)
		}
		return result{stdout: stdout.String(), stderr: stderr.String(), code: cmd.ProcessState.ExitCode()}
	}

	r := run("status", "set", "API", "down", "-m", "db")
	if r.code != ExitOK {
		t.Fatalf("status set: exit %d: %s", r.code, r.stderr)
	}
	if svc := r.object(t); svc["status"] != "down" || svc["status_description"] != "db" {
		t.Fatalf("status set printed %s", r.stdout)
	}
	r = run("events", "tail", "--since", "1h", "--count", "2", "--subject", "upstate.status.>")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	var ev struct{ Type string }
	if r.code != ExitOK || len(lines) != 2 || json.Unmarshal([]byte(lines[1]), &ev) != nil || ev.Type != "upstate.status.v1.StatusChanged" {
		t.Fatalf("events tail: exit %d, stdout:\n%s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	if r := run("services", "get", "Nope"); r.code != ExitNotFound || r.stdout != "" || !strings.Contains(r.stderr, `no service named "Nope"`) {
		t.Fatalf("services get Nope: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if r := run("status", "set", "API"); r.code != ExitUsage {
		t.Fatalf("status set with one argument: exit %d", r.code)
	}
	if r := run("--version"); r.code != ExitOK || !strings.Contains(r.stdout, "1.2.3") {
		t.Fatalf("--version: %q", r.stdout)
	}
}
