package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/upstatehq/upstate/bench/internal/latency"
)

// result is what one worker, or all of them merged, measured. Only requests
// that completed inside the measured window are counted, except in sent.
type result struct {
	sent      uint64 // every answered or failed request, warm-up included
	sentOK    uint64 // every successful answer, warm-up included
	hist      latency.Histogram
	ok        uint64
	non2xx    uint64 // answered, but not a success: non-2xx, or not -expect-status
	transport uint64
	window    time.Duration
	errs      errorLog
}

func (r *result) merge(o *result) {
	r.hist.Merge(&o.hist)
	r.sent += o.sent
	r.sentOK += o.sentOK
	r.ok += o.ok
	r.non2xx += o.non2xx
	r.transport += o.transport
	r.errs.merge(&o.errs)
}

// window is the measured period: requests completing inside it count.
type window struct{ from, until time.Time }

func (w window) contains(t time.Time) bool { return !t.Before(w.from) && !t.After(w.until) }

// runLoad runs cfg.conns workers through the warm-up and the measured
// period and returns their merged result.
func runLoad(ctx context.Context, cfg config) (*result, error) {
	transport := &http.Transport{
		Proxy:               nil, // loads go straight to the target, never through a proxy
		DialContext:         (&net.Dialer{Timeout: cfg.timeout, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        cfg.conns,
		MaxIdleConnsPerHost: cfg.conns,
		MaxConnsPerHost:     cfg.conns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: cfg.timeout}

	start := time.Now()
	w := window{from: start.Add(cfg.warmup), until: start.Add(cfg.warmup + cfg.duration)}
	ctx, cancel := context.WithDeadline(ctx, w.until.Add(cfg.timeout))
	defer cancel()

	var (
		next    atomic.Uint64 // position in the round-robin of URLs and payloads, shared by all workers
		issued  atomic.Uint64 // requests started by all workers, for -n
		wg      sync.WaitGroup
		results = make([]*result, cfg.conns)
	)
	for i := range results {
		results[i] = &result{}
		wg.Go(func() { work(ctx, client, cfg, i, w, &next, &issued, results[i]) })
	}
	wg.Wait()
	if err := ctx.Err(); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return nil, fmt.Errorf("load stopped early: %w", err)
	}

	total := &result{window: cfg.duration}
	if cfg.total > 0 {
		// The run may have ended early: rates are over the time it took.
		total.window = max(min(cfg.duration, time.Since(w.from)), time.Millisecond)
	}
	for _, r := range results {
		total.merge(r)
	}
	return total, nil
}

// target picks the URL and payload of the n-th request of all workers
// together: URLs round-robin, and each URL steps through the payloads in
// turn, so with bodies that alternate statuses every request to a URL
// changes what the previous one set.
func (cfg config) target(n uint64) (string, int) {
	u := uint64(len(cfg.urls))
	return cfg.urls[n%u], int((n / u) % uint64(len(cfg.payloads)))
}

// pinnedTarget picks the URL and payload of worker w's k-th request under
// -pin: always the worker's own URL, stepping through the payloads.
func (cfg config) pinnedTarget(w int, k uint64) (string, int) {
	return cfg.urls[w%len(cfg.urls)], int(k % uint64(len(cfg.payloads)))
}

// work sends worker w's requests one after another until the window
// closes, or the workers together have started cfg.total requests.
func work(ctx context.Context, client *http.Client, cfg config, w int, win window, next, issued *atomic.Uint64, res *result) {
	// Read-only on the hot path, owned by this worker.
	payloads := make([]payload, len(cfg.payloads))
	for i, p := range cfg.payloads {
		payloads[i] = payload{body: p.body, header: p.header.Clone()}
	}
	for k := uint64(0); ctx.Err() == nil; k++ {
		begin := time.Now()
		if begin.After(win.until) || cfg.total > 0 && issued.Add(1) > cfg.total {
			return
		}
		var (
			url string
			i   int
		)
		if cfg.pin {
			url, i = cfg.pinnedTarget(w, k)
		} else {
			url, i = cfg.target(next.Add(1) - 1)
		}
		code, sample, err := send(ctx, client, cfg.method, url, payloads[i].header, payloads[i].body, cfg.succeeded)
		end := time.Now()
		res.sent++
		if err == nil && cfg.succeeded(code) {
			res.sentOK++
		}
		if !win.contains(end) {
			continue
		}
		if err != nil {
			res.transport++
			res.errs.add(err.Error(), "")
			continue
		}
		// Latency covers every answered request, failures included (as wrk does).
		if !cfg.succeeded(code) {
			res.non2xx++
			res.errs.add(fmt.Sprintf("HTTP %d", code), sample)
		} else {
			res.ok++
		}
		res.hist.Record(end.Sub(begin))
	}
}

// maxSample caps the part of an error response kept for diagnosis.
const maxSample = 300

// send performs one request and reads the whole response body. For an
// answer that is not a success it returns the start of the body as a sample.
func send(ctx context.Context, client *http.Client, method, url string, header http.Header, body []byte, success func(int) bool) (int, string, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return 0, "", fmt.Errorf("build request: %w", err)
	}
	req.Header = header
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	var sample string
	if !success(resp.StatusCode) {
		b, err := io.ReadAll(io.LimitReader(resp.Body, maxSample))
		if err != nil {
			return 0, "", fmt.Errorf("read response: %w", err)
		}
		sample = string(b)
	}
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return 0, "", fmt.Errorf("read response: %w", err)
	}
	return resp.StatusCode, sample, nil
}
