package deploy

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// stage is one stage of the Dockerfile (FROM … AS name) with what it
// holds after its instructions, its base stage's included.
type stage struct {
	name string
	// image is the registry image the stage comes from, through its base
	// stages.
	image string
	// base is the stage it is built on ("" for an image).
	base       string
	user       string
	entrypoint []string
	// copied maps a path under the build stage's /out to where the stage
	// copied it.
	copied map[string]string
	// packages are the Go packages its `go build` builds.
	packages []string
}

var fromLine = regexp.MustCompile(`^FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$`)

// dockerfile parses deploy/docker/Dockerfile into its stages by name.
// It reads the instructions the tests check, joining continued lines.
func dockerfile(t testing.TB) map[string]*stage {
	t.Helper()
	b, err := os.ReadFile("docker/Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	stages := map[string]*stage{}
	var cur *stage
	var line string
	for raw := range strings.SplitSeq(string(b), "\n") {
		raw = strings.TrimSpace(raw)
		if strings.HasPrefix(raw, "#") {
			continue
		}
		if more, ok := strings.CutSuffix(raw, `\`); ok {
			line += more + " "
			continue
		}
		line, raw = "", line+raw
		if raw == "" {
			continue
		}
		instr, rest, _ := strings.Cut(raw, " ")
		if instr == "FROM" {
			m := fromLine.FindStringSubmatch(raw)
			if m == nil || m[2] == "" {
				t.Fatalf("Dockerfile: %q: every stage must be named (FROM image AS name)", raw)
			}
			cur = &stage{name: m[2], image: m[1], copied: map[string]string{}}
			if base, ok := stages[m[1]]; ok {
				cur.base, cur.image, cur.user, cur.entrypoint = base.name, base.image, base.user, base.entrypoint
				for k, v := range base.copied {
					cur.copied[k] = v
				}
			}
			stages[cur.name] = cur
			continue
		}
		if cur == nil {
			continue
		}
		switch instr {
		case "USER":
			cur.user = rest
		case "ENTRYPOINT":
			cur.entrypoint = nil
			if err := json.Unmarshal([]byte(rest), &cur.entrypoint); err != nil {
				t.Fatalf("Dockerfile stage %s: ENTRYPOINT %s is not the exec form: %v", cur.name, rest, err)
			}
		case "COPY":
			f := strings.Fields(rest)
			if len(f) == 3 && f[0] == "--from=build" {
				cur.copied[strings.TrimPrefix(f[1], "/out/")] = f[2]
			}
		case "RUN":
			if _, build, ok := strings.Cut(rest, " go build "); ok {
				for _, w := range strings.Fields(build) {
					if strings.HasPrefix(w, "./") {
						cur.packages = append(cur.packages, w)
					}
				}
			}
		}
	}
	return stages
}

// binary is one of the project's programs and the image it ships in.
type binary struct {
	name, pkg, target string
	// service: its target is built on the stage every service shares.
	service bool
}

// fullImages are the targets that need more than a static binary:
// bin/upstate runs Postgres from the system's binaries.
var fullImages = map[string]bool{"standalone": true}

// binaries lists every service and every command under cmd/ (bin/upstate
// in the target standalone, any other under its own name).
func binaries(t testing.TB) []binary {
	t.Helper()
	var out []binary
	for _, svc := range services(t) {
		out = append(out, binary{name: svc, pkg: fmt.Sprintf("./services/%s/cmd/%s", svc, svc), target: svc, service: true})
	}
	for _, cmd := range commands(t) {
		target := cmd
		if cmd == "upstate" {
			target = "standalone"
		}
		out = append(out, binary{name: cmd, pkg: "./cmd/" + cmd, target: target})
	}
	return out
}

// TestEveryBinaryIsBuilt: each service and command is built by the
// Dockerfile's build stage and by the Makefile's build, and has a target
// of its own whose entry point is that binary, run as a numeric non-root
// user; the services' and the tool's images are the static distroless
// ones. The build stage builds nothing else.
func TestEveryBinaryIsBuilt(t *testing.T) {
	stages := dockerfile(t)
	build := stages["build"]
	if build == nil || len(build.packages) == 0 {
		t.Fatal("the Dockerfile has no stage build with a go build")
	}
	mk, err := os.ReadFile("../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	var made []string
	for line := range strings.SplitSeq(string(mk), "\n") {
		if list, ok := strings.CutPrefix(line, "SERVICES := "); ok {
			made = strings.Fields(list)
		}
	}
	var pkgs []string
	for _, b := range binaries(t) {
		pkgs = append(pkgs, b.pkg)
		t.Run(b.name, func(t *testing.T) {
			if !slices.Contains(build.packages, b.pkg) {
				t.Errorf("the Dockerfile's build stage does not build %s", b.pkg)
			}
			if b.service && !slices.Contains(made, b.name) {
				t.Errorf("the Makefile's SERVICES %v lack %s", made, b.name)
			}
			if !b.service && !strings.Contains(string(mk), fmt.Sprintf("go build -o bin/%s %s\n", b.name, b.pkg)) {
				t.Errorf("the Makefile's build does not build bin/%s from %s", b.name, b.pkg)
			}
			s := stages[b.target]
			if s == nil {
				t.Fatalf("the Dockerfile has no target %s", b.target)
			}
			if b.service && s.base != "service" {
				t.Errorf("target %s is built on %q, want the stage service", b.target, s.base)
			}
			dest, ok := s.copied[b.name]
			if !ok {
				t.Fatalf("target %s does not copy /out/%s from the build stage", b.target, b.name)
			}
			if len(s.entrypoint) != 1 || s.entrypoint[0] != dest {
				t.Errorf("target %s: ENTRYPOINT %q, want [%q]", b.target, s.entrypoint, dest)
			}
			if !nonRoot(s.user) {
				t.Errorf("target %s: USER %q, want a numeric uid:gid other than root", b.target, s.user)
			}
			if !fullImages[b.target] && !strings.HasPrefix(s.image, "gcr.io/distroless/static") && s.image != "scratch" {
				t.Errorf("target %s is on %s, want distroless static or scratch", b.target, s.image)
			}
		})
	}
	for _, p := range build.packages {
		if !slices.Contains(pkgs, p) {
			t.Errorf("the build stage builds %s, which is no service or command", p)
		}
	}
}

// nonRoot: user is uid:gid, both numbers (so that Kubernetes'
// runAsNonRoot can verify it), the uid not 0.
func nonRoot(user string) bool {
	uid, gid, ok := strings.Cut(user, ":")
	u, errU := strconv.Atoi(uid)
	_, errG := strconv.Atoi(gid)
	return ok && errU == nil && errG == nil && u != 0
}
