// Command loadgen is a small closed-loop HTTP load generator for upstate's
// benchmarks. It keeps -c keep-alive connections busy against one URL for a
// warm-up and then a measured period, records every latency in a log-linear
// histogram and prints one summary line:
//
//	name  req/s  p50  p99  max  errors (failed/transport)  sent  sent_ok
//
// (sent and sent_ok count the warm-up too). Request bodies given with
// repeated -body flags are used round-robin across all connections, so a
// PUT can alternate between two statuses; with -pin each connection keeps to
// one URL, so that with as many URLs as connections a URL's requests are
// strictly one after another. With -hmac-secret every body is signed as a
// webhook sender would: the lowercase hex HMAC-SHA256 of the body in
// -hmac-header. A non-2xx answer (with -expect-status, any other status)
// counts as an error; loadgen exits non-zero when more than 1 % of the
// measured requests failed. With -n the run stops once that many requests
// were sent (to fill a backlog of exactly n). With -free-port it only prints a free loopback
// TCP port, for scripts that must choose a listen address.
package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/upstatehq/upstate/pkg/freeport"
)

// maxErrorRate is the share of failed requests above which loadgen fails.
const maxErrorRate = 0.01

// config is the parsed command line.
type config struct {
	urls     []string
	method   string
	payloads []payload // at least one
	pin      bool
	expect   int // the one successful status; 0: any 2xx
	conns    int
	total    uint64 // stop after this many requests in all, warm-up included; 0: no limit
	duration time.Duration
	warmup   time.Duration
	timeout  time.Duration
	name     string
	json     bool
	freePort bool
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	cfg, err := parseFlags(args)
	if err != nil {
		return err
	}
	if cfg.freePort {
		return printFreePort()
	}
	fmt.Fprintf(os.Stderr, "loadgen: %s %s, %d connections, %v warm-up + %v measured\n",
		cfg.method, describeURLs(cfg.urls), cfg.conns, cfg.warmup, cfg.duration)
	// The heap stays small, so trading memory for fewer collections costs
	// nothing and leaves more of the shared CPU to the server under test.
	debug.SetGCPercent(400)
	// SIGINT is left to its default action: a script running loadgen in the
	// foreground then sees it die of the signal and stops too.
	res, err := runLoad(context.Background(), cfg)
	if err != nil {
		return err
	}
	rep := newReport(cfg, res)
	if cfg.json {
		if err := json.NewEncoder(os.Stdout).Encode(rep); err != nil {
			return fmt.Errorf("write json report: %w", err)
		}
	} else {
		fmt.Println(rep.line())
	}
	res.errs.write(os.Stderr)
	if rep.Requests == 0 {
		return errors.New("no request completed in the measured period")
	}
	if rep.ErrorRate > maxErrorRate {
		return fmt.Errorf("%.2f%% of requests failed (limit %.0f%%)", 100*rep.ErrorRate, 100*maxErrorRate)
	}
	return nil
}

func parseFlags(args []string) (config, error) {
	var (
		cfg     config
		headers stringList
		bodies  stringList
		urls    stringList
		secret  string
		sigHdr  string
	)
	fs := flag.NewFlagSet("loadgen", flag.ExitOnError)
	fs.Var(&urls, "url", "target URL (required; repeatable: request n goes to URL n mod count, with body (n / count) mod bodies, so each URL steps through the bodies in turn)")
	fs.StringVar(&cfg.method, "method", http.MethodGet, "HTTP method")
	fs.Var(&headers, "header", "request header `K: V` (repeatable)")
	fs.Var(&bodies, "body", "request body (repeatable: used round-robin per request)")
	fs.BoolVar(&cfg.pin, "pin", false, "connection i sends only to URL i mod count, stepping through the bodies in turn (at most -c URLs)")
	fs.StringVar(&secret, "hmac-secret", "", "sign each body: lowercase hex HMAC-SHA256 under this secret, in -hmac-header")
	fs.StringVar(&sigHdr, "hmac-header", defaultHMACHeader, "header carrying the -hmac-secret signature")
	fs.IntVar(&cfg.expect, "expect-status", 0, "the only status counted as success (default: any 2xx)")
	fs.IntVar(&cfg.conns, "c", 64, "concurrent connections")
	fs.Uint64Var(&cfg.total, "n", 0, "send this many requests in all, warm-up included, then stop (-d still bounds the run); 0: no limit")
	fs.DurationVar(&cfg.duration, "d", 10*time.Second, "measured duration")
	fs.DurationVar(&cfg.warmup, "warmup", 2*time.Second, "warm-up before measuring")
	fs.DurationVar(&cfg.timeout, "timeout", 10*time.Second, "per-request timeout")
	fs.StringVar(&cfg.name, "name", "", "label for the summary line (default: METHOD URL)")
	fs.BoolVar(&cfg.json, "json", false, "print the summary as JSON")
	fs.BoolVar(&cfg.freePort, "free-port", false, "print a free loopback TCP port and exit")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if cfg.freePort {
		return cfg, nil
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	cfg.urls = urls
	if len(cfg.urls) == 0 {
		return config{}, errors.New("-url is required")
	}
	if cfg.conns < 1 || cfg.duration <= 0 || cfg.warmup < 0 || cfg.timeout <= 0 {
		return config{}, errors.New("-c, -d and -timeout must be positive and -warmup not negative")
	}
	if cfg.expect != 0 && (cfg.expect < 100 || cfg.expect > 599) {
		return config{}, fmt.Errorf("-expect-status %d is not an HTTP status", cfg.expect)
	}
	if cfg.pin && len(cfg.urls) > cfg.conns {
		return config{}, fmt.Errorf("-pin with %d URLs and %d connections would leave URLs unused", len(cfg.urls), cfg.conns)
	}
	if secret != "" && strings.TrimSpace(sigHdr) == "" {
		return config{}, errors.New("-hmac-header must not be empty")
	}
	cfg.method = strings.ToUpper(cfg.method)
	header := make(http.Header, len(headers))
	for _, h := range headers {
		k, v, ok := strings.Cut(h, ":")
		if !ok || strings.TrimSpace(k) == "" {
			return config{}, fmt.Errorf("header %q: want \"K: V\"", h)
		}
		header.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	if len(bodies) == 0 {
		cfg.payloads = []payload{{header: header}}
	}
	for _, b := range bodies {
		cfg.payloads = append(cfg.payloads, payload{body: []byte(b), header: header})
	}
	if secret != "" {
		for i := range cfg.payloads {
			p := &cfg.payloads[i]
			p.header = p.header.Clone()
			p.header.Set(strings.TrimSpace(sigHdr), sign(secret, p.body))
		}
	}
	if cfg.name == "" {
		cfg.name = cfg.method + " " + cfg.urls[0]
	}
	return cfg, nil
}

// succeeded reports whether an answer with this status counts as a success.
func (cfg config) succeeded(code int) bool {
	if cfg.expect != 0 {
		return code == cfg.expect
	}
	return code >= 200 && code <= 299
}

// payload is one request body with its headers, which may include the
// body's signature. Workers clone the headers and then only read them.
type payload struct {
	body   []byte
	header http.Header
}

// defaultHMACHeader is where upstate's webhook receivers expect a signature.
const defaultHMACHeader = "X-Webhook-Signature"

// sign returns the lowercase hex HMAC-SHA256 of body under secret.
func sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

// printFreePort prints a loopback port that is free and that no outgoing
// connection will take before the caller binds it (see freeport).
func printFreePort() error {
	port, err := freeport.Port()
	if err != nil {
		return err
	}
	fmt.Println(port)
	return nil
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ", ") }
func (l *stringList) Set(s string) error { *l = append(*l, s); return nil }

// describeURLs names the target for the banner: the URL, or the first one
// and how many more.
func describeURLs(urls []string) string {
	if len(urls) == 1 {
		return urls[0]
	}
	return fmt.Sprintf("%s and %d more URLs", urls[0], len(urls)-1)
}
