package integration

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/testenv"
)

// clusterServices are the services run as replicas behind gRPC, in the
// order they start and are restarted. Each reads UPSTATE_<NAME>_GRPC_ADDR
// and UPSTATE_<NAME>_HTTP_ADDR, and every process is told where each of
// them is (UPSTATE_<NAME>_GRPC_TARGET, all the replicas' addresses): a
// consumer service that follows the convention joins the suite with one
// line here.
var clusterServices = []replicated{
	{"status", 3},
	{"incidents", 2},
	{"sla", 2},
	{"alerting", 2},
	{"statuspage", 2},
	{"notification", 2},
}

// clusterFronts are the stateless HTTP fronts, which listen on
// UPSTATE_HTTP_ADDR, started after the services.
var clusterFronts = []replicated{
	{"gateway", 2},
	{"edge", 2},
}

// replicated is a service and how many replicas of it run.
type replicated struct {
	name     string
	replicas int
}

// replica is one process of a service, restarted on the same addresses.
type replica struct {
	t        *testing.T // the test the process belongs to, not a subtest
	name     string     // service-N
	service  string
	bin      string
	env      []string
	httpAddr string
	grpcAddr string // empty for the fronts
	proc     *process
}

// cluster is upstate as it runs in production, as separate processes on
// the loopback: a three-node JetStream cluster, one Postgres, and
// replicas of every service sharing their durable consumers.
type cluster struct {
	t        *testing.T
	dsn      string
	nats     []*natsNode
	natsURL  string
	replicas []*replica
	nc       *nats.Conn
	js       jetstream.JetStream
	client   *http.Client
	// api is the edge replicas behind one client, for set-up and checks.
	api *stack
}

// startCluster builds the binaries and starts everything, returning once
// every process is ready.
func startCluster(t *testing.T) *cluster {
	t.Helper()
	pkgs := []string{"github.com/nats-io/nats-server/v2"}
	for _, s := range append(clusterServices, clusterFronts...) {
		pkgs = append(pkgs, "github.com/upstatehq/upstate/services/"+s.name+"/cmd/"+s.name)
	}
	bins := buildCommands(t, pkgs...)
	c := &cluster{t: t, dsn: testenv.NewDatabase(t), client: &http.Client{Timeout: 30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 100}}}
	c.startNATS(bins["nats-server"])

	common := []string{"DATABASE_URL=" + c.dsn, "UPSTATE_NATS_URL=" + c.natsURL, "UPSTATE_LOG_FORMAT=json",
		"UPSTATE_GRPC_TOKEN=" + grpcToken(t), "UPSTATE_STREAM_REPLICAS=3",
		// Every sender is the test: the per-token limit is not under test.
		"UPSTATE_WEBHOOK_RATE_LIMIT=1000000", "UPSTATE_WEBHOOK_RATE_BURST=1000000"}
	targets := map[string][]string{}
	for _, s := range clusterServices {
		for i := range s.replicas {
			r := &replica{t: t, name: fmt.Sprintf("%s-%d", s.name, i+1), service: s.name, bin: bins[s.name],
				httpAddr: freeAddr(t), grpcAddr: freeAddr(t)}
			up := strings.ToUpper(s.name)
			r.env = append(slices.Clone(common), "UPSTATE_"+up+"_GRPC_ADDR="+r.grpcAddr, "UPSTATE_"+up+"_HTTP_ADDR="+r.httpAddr)
			targets[up] = append(targets[up], r.grpcAddr)
			c.replicas = append(c.replicas, r)
		}
	}
	for _, s := range clusterFronts {
		for i := range s.replicas {
			r := &replica{t: t, name: fmt.Sprintf("%s-%d", s.name, i+1), service: s.name, bin: bins[s.name], httpAddr: freeAddr(t)}
			r.env = append(slices.Clone(common), "UPSTATE_HTTP_ADDR="+r.httpAddr, "UPSTATE_BOOTSTRAP_API_KEY="+bootstrapKey)
			c.replicas = append(c.replicas, r)
		}
	}
	for _, r := range c.replicas {
		for up, addrs := range targets {
			r.env = append(r.env, "UPSTATE_"+up+"_GRPC_TARGET="+strings.Join(addrs, ","))
		}
	}
	// Services first (the status service before those that call it), then
	// the fronts; the replicas of one service start together, but for the
	// edge's, which bootstrap the API key one after the other.
	for _, group := range [][]string{{"status"}, names(clusterServices[1:]), {"gateway"}, {"edge-1"}, {"edge-2"}} {
		var started []*replica
		for _, r := range c.replicas {
			for _, g := range group {
				if r.service == g || r.name == g {
					r.start()
					started = append(started, r)
				}
			}
		}
		for _, r := range started {
			r.awaitReady(t)
		}
	}
	c.api = &stack{t: t, baseURL: "http://" + c.of("edge")[0].httpAddr, dsn: c.dsn, nc: c.nc, js: c.js}
	return c
}

func names(ss []replicated) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.name)
	}
	return out
}

func (r *replica) start() { r.proc = runProcess(r.t, r.bin, r.env) }

func (r *replica) awaitReady(t *testing.T) { waitReady(t, "http://"+r.httpAddr+"/readyz") }

// restart stops the replica with SIGTERM, as a rolling update does, and
// starts it again, returning once it is ready.
func (r *replica) restart(t *testing.T) {
	r.proc.stop()
	r.start()
	r.awaitReady(t)
}

// of returns the replicas of a service.
func (c *cluster) of(service string) []*replica {
	var out []*replica
	for _, r := range c.replicas {
		if r.service == service {
			out = append(out, r)
		}
	}
	return out
}

// natsNode is one server of the JetStream cluster, restarted on the same
// ports and store.
type natsNode struct {
	t           *testing.T
	name, bin   string
	port, route int
	dir         string
	routes      string
	proc        *process
}

func (n *natsNode) start() {
	n.proc = runProcess(n.t, n.bin, nil, "-a", "127.0.0.1", "-p", strconv.Itoa(n.port), "-js", "-sd", n.dir,
		"--server_name", n.name, "--cluster_name", "upstate",
		"--cluster", fmt.Sprintf("nats://127.0.0.1:%d", n.route), "--routes", n.routes)
}

// startNATS starts three nats-server processes routed to each other, and
// returns once JetStream has a leader and the streams exist with three
// replicas.
func (c *cluster) startNATS(bin string) {
	t := c.t
	var urls, routes []string
	for i := range 3 {
		n := &natsNode{t: t, name: fmt.Sprintf("nats-%d", i+1), bin: bin, port: freePort(t), route: freePort(t), dir: t.TempDir()}
		urls = append(urls, fmt.Sprintf("nats://127.0.0.1:%d", n.port))
		routes = append(routes, fmt.Sprintf("nats://127.0.0.1:%d", n.route))
		c.nats = append(c.nats, n)
	}
	for _, n := range c.nats {
		n.routes = strings.Join(routes, ",")
		n.start()
	}
	c.natsURL = strings.Join(urls, ",")
	c.nc, c.js = connect(t, c.natsURL)
	testenv.Eventually(t, time.Minute, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return bus.EnsureStreams(ctx, c.js, bus.StreamOptions{Replicas: 3})
	})
}

// grpcCalls is how many gRPC calls a replica has served, from its
// metrics.
func (c *cluster) grpcCalls(r *replica) int {
	c.t.Helper()
	res, err := c.client.Get("http://" + r.httpAddr + "/metrics")
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	total := 0
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		l := sc.Text()
		if !strings.HasPrefix(l, "grpc_server_handled_total{") || strings.Contains(l, "grpc.health") {
			continue
		}
		v, err := strconv.ParseFloat(l[strings.LastIndexByte(l, ' ')+1:], 64)
		if err != nil {
			c.t.Fatalf("%s metrics: %q: %v", r.name, l, err)
		}
		total += int(v)
	}
	return total
}

// ready reports whether a replica's /readyz answers 200.
func (c *cluster) ready(r *replica) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+r.httpAddr+"/readyz", nil)
	res, err := c.client.Do(req)
	if err != nil {
		return false
	}
	res.Body.Close()
	return res.StatusCode == http.StatusOK
}

// logs returns the replicas' logs, for a failure message.
func (c *cluster) logs(service string) string {
	var b strings.Builder
	for _, r := range c.of(service) {
		fmt.Fprintf(&b, "== %s (%s)\n%s\n", r.name, filepath.Base(r.bin), r.proc.log())
	}
	return b.String()
}
