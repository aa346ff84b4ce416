package integration

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/upstatehq/upstate/pkg/freeport"
	"github.com/upstatehq/upstate/pkg/grpcx"
	"github.com/upstatehq/upstate/pkg/testenv"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
)

// bin/status, bin/incidents and bin/edge as separate processes, configured
// only through their environment, talking over real gRPC and NATS: the
// deployment shape.
func TestSeparateProcesses(t *testing.T) {
	t.Parallel()
	bins := buildBinaries(t, "status", "incidents", "edge")
	dsn := testenv.NewDatabase(t)
	natsURL := testenv.StartNATS(t).ClientURL()
	statusGRPC, statusHTTP, edgeHTTP := freeAddr(t), freeAddr(t), freeAddr(t)
	incidentsGRPC, incidentsHTTP := freeAddr(t), freeAddr(t)
	token := grpcToken(t)
	common := []string{"DATABASE_URL=" + dsn, "UPSTATE_NATS_URL=" + natsURL, "UPSTATE_LOG_FORMAT=json", "UPSTATE_GRPC_TOKEN=" + token}

	startProcess(t, bins["status"], append(common,
		"UPSTATE_STATUS_GRPC_ADDR="+statusGRPC, "UPSTATE_STATUS_HTTP_ADDR="+statusHTTP))
	waitReady(t, "http://"+statusHTTP+"/readyz")
	startProcess(t, bins["incidents"], append(common, "UPSTATE_STATUS_GRPC_TARGET="+statusGRPC,
		"UPSTATE_INCIDENTS_GRPC_ADDR="+incidentsGRPC, "UPSTATE_INCIDENTS_HTTP_ADDR="+incidentsHTTP))
	waitReady(t, "http://"+incidentsHTTP+"/readyz")
	startProcess(t, bins["edge"], append(common,
		"UPSTATE_HTTP_ADDR="+edgeHTTP, "UPSTATE_STATUS_GRPC_TARGET="+statusGRPC,
		"UPSTATE_INCIDENTS_GRPC_TARGET="+incidentsGRPC, "UPSTATE_BOOTSTRAP_API_KEY="+bootstrapKey))
	waitReady(t, "http://"+edgeHTTP+"/readyz")

	nc, js := connect(t, natsURL)
	s := &stack{t: t, baseURL: "http://" + edgeHTTP, dsn: dsn, nc: nc, js: js}
	id := s.createService(bootstrapKey, "API")
	w := s.watchStatus()
	r := s.do(http.MethodPut, "/api/v1/services/"+id, bootstrapKey, `{"status":"down","description":"Database connection issues"}`)
	if r.Status != http.StatusOK || r.json(t)["status"] != "down" {
		t.Fatalf("PUT: %d %s", r.Status, r.Body)
	}
	ev, _ := w.next()
	if ev.GetServiceId() != id || ev.GetStatus() != statusv1.Status_STATUS_DOWN {
		t.Fatalf("event = %v", ev)
	}

	// edge → incidents → status: a maintenance window that has started puts
	// the service in maintenance before the answer.
	r = s.do(http.MethodPost, "/api/v1/maintenances", bootstrapKey, map[string]any{
		"title": "Failover test", "service_ids": []string{id},
		"starts_at": time.Now().Add(-time.Second).Format(time.RFC3339), "ends_at": time.Now().Add(time.Hour).Format(time.RFC3339),
	})
	if r.Status != http.StatusCreated || r.json(t)["status"] != "in_progress" {
		t.Fatalf("POST maintenance: %d %s", r.Status, r.Body)
	}
	if ev, _ := w.next(); ev.GetStatus() != statusv1.Status_STATUS_MAINTENANCE || ev.GetSource() != statusv1.Source_SOURCE_MAINTENANCE {
		t.Fatalf("event = %v", ev)
	}

	// The services' gRPC APIs take calls with the token only.
	for _, auth := range []grpcx.Auth{{}, {Token: token + "x"}} {
		conn, err := grpcx.Dial(statusGRPC, auth)
		if err != nil {
			t.Fatal(err)
		}
		_, err = statusv1.NewServiceRegistryServiceClient(conn).GetService(context.Background(), &statusv1.GetServiceRequest{OrgId: "org_default", ServiceId: id})
		_ = conn.Close()
		if status.Code(err) != codes.Unauthenticated {
			t.Fatalf("GetService without the token: %v, want Unauthenticated", err)
		}
	}

	m := send(t, mustRequest(t, http.MethodGet, "http://"+incidentsHTTP+"/metrics"))
	if !strings.Contains(string(m.Body), `incidents_maintenance_transitions_total{transition="started"} 1`) {
		t.Fatalf("incidents metrics lack the started window")
	}
	metrics := send(t, mustRequest(t, http.MethodGet, "http://"+edgeHTTP+"/metrics"))
	if !strings.Contains(string(metrics.Body), `http_requests_total{code="200",method="PUT",route="/api/v1/services/:id"}`) {
		t.Fatalf("edge metrics lack the PUT counter")
	}
}

// grpcToken is a fresh token for the gRPC traffic between processes.
func grpcToken(t *testing.T) string {
	t.Helper()
	token, err := grpcx.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// buildBinaries compiles the named services' commands into a temp dir.
func buildBinaries(t *testing.T, names ...string) map[string]string {
	t.Helper()
	pkgs := make([]string, len(names))
	for i, n := range names {
		pkgs[i] = "github.com/upstatehq/upstate/services/" + n + "/cmd/" + n
	}
	return buildCommands(t, pkgs...)
}

// buildCommands compiles the main packages pkgs in one go build (which
// builds them in parallel) into a temp dir, and returns each binary's
// path by its name: the package's last element (before a /vN suffix).
func buildCommands(t *testing.T, pkgs ...string) map[string]string {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command("go", append([]string{"build", "-o", dir + string(filepath.Separator)}, pkgs...)...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", strings.Join(pkgs, " "), err, b)
	}
	out := map[string]string{}
	for _, p := range pkgs {
		name := path.Base(p)
		if strings.HasPrefix(name, "v") && strings.Trim(name[1:], "0123456789") == "" {
			name = path.Base(path.Dir(p))
		}
		out[name] = filepath.Join(dir, name)
	}
	return out
}

// startProcess runs bin with env and returns a function that stops it with
// SIGTERM, failing the test if it does not exit cleanly (graceful drain). The
// function also runs at cleanup; calling it twice is harmless.
func startProcess(t *testing.T, bin string, env []string) (stop func()) {
	t.Helper()
	return runProcess(t, bin, env).stop
}

// process is a running binary and the log lines it wrote to stderr.
type process struct {
	t    *testing.T
	bin  string
	cmd  *exec.Cmd
	done chan struct{} // closed when stderr is read to its end
	once sync.Once
	mu   sync.Mutex
	logs []string
}

// runProcess runs bin with env and args; it is stopped with SIGTERM (stop)
// when the test ends unless stopped or killed before.
func runProcess(t *testing.T, bin string, env []string, args ...string) *process {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{t: t, bin: bin, cmd: cmd, done: make(chan struct{})}
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			p.mu.Lock()
			p.logs = append(p.logs, sc.Text())
			p.mu.Unlock()
		}
	}()
	t.Cleanup(p.stop)
	return p
}

// stop sends SIGTERM and fails the test if the process does not exit
// cleanly (graceful drain) within 30s, or logged the bootstrap key.
func (p *process) stop() {
	p.once.Do(func() {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		exited := make(chan error, 1)
		go func() { <-p.done; exited <- p.cmd.Wait() }()
		select {
		case err := <-exited:
			if err != nil {
				p.t.Errorf("%s exited with %v after SIGTERM; log:\n%s", filepath.Base(p.bin), err, p.log())
			}
		case <-time.After(30 * time.Second):
			_ = p.cmd.Process.Kill()
			p.t.Errorf("%s did not stop within 30s of SIGTERM", filepath.Base(p.bin))
		}
		p.checkLogs()
	})
}

// kill ends the process with SIGKILL, as a crash or an OOM kill would, and
// waits until it is gone.
func (p *process) kill() {
	p.once.Do(func() {
		_ = p.cmd.Process.Kill()
		<-p.done
		_ = p.cmd.Wait()
		p.checkLogs()
	})
}

func (p *process) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.logs, "\n")
}

func (p *process) checkLogs() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, l := range p.logs {
		if strings.Contains(l, bootstrapKey) {
			p.t.Errorf("%s logged the bootstrap key: %s", filepath.Base(p.bin), l)
		}
	}
}

func waitReady(t *testing.T, url string) {
	t.Helper()
	testenv.Eventually(t, 60*time.Second, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return fmt.Errorf("%s: %d", url, res.StatusCode)
		}
		return nil
	})
}

// freePort and freeAddr choose a port for a server started later, or
// restarted on it: outside the range outgoing connections draw from, so
// that none takes it meanwhile (see freeport).
func freePort(t testing.TB) int {
	t.Helper()
	port, err := freeport.Port()
	if err != nil {
		t.Fatal(err)
	}
	return port
}

func freeAddr(t *testing.T) string {
	t.Helper()
	addr, err := freeport.Addr()
	if err != nil {
		t.Fatal(err)
	}
	return addr
}

func mustRequest(t *testing.T, method, url string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}
