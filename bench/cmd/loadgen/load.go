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
)

// result is what one worker, or all of them merged, measured. Only requests
// that completed inside the measured window are counted, except in sent.
type result struct {
	sent      uint64 // every answered or failed request, warm-up included
	hist      histogram
	ok        uint64
	non2xx    uint64
	transport uint64
	window    time.Duration
	errs      errorLog
}

func (r *result) merge(o *result) {
	r.hist.merge(&o.hist)
	r.sent += o.sent
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
		next    atomic.Uint64 // round-robin position in cfg.bodies, shared by all workers
		wg      sync.WaitGroup
		results = make([]*result, cfg.conns)
	)
	for i := range results {
		results[i] = &result{}
		wg.Go(func() { work(ctx, client, cfg, w, &next, results[i]) })
	}
	wg.Wait()
	if err := ctx.Err(); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return nil, fmt.Errorf("load stopped early: %w", err)
	}

	total := &result{window: cfg.duration}
	for _, r := range results {
		total.merge(r)
	}
	return total, nil
}

// target picks the URL and body of the n-th request: URLs round-robin, and
// each URL steps through the bodies in turn, so with bodies that alternate
// statuses every request to a URL changes what the previous one set.
func (cfg config) target(n uint64) (string, []byte) {
	u := uint64(len(cfg.urls))
	url := cfg.urls[n%u]
	if b := uint64(len(cfg.bodies)); b > 0 {
		return url, cfg.bodies[(n/u)%b]
	}
	return url, nil
}

// work sends requests one after another until the window closes.
func work(ctx context.Context, client *http.Client, cfg config, w window, next *atomic.Uint64, res *result) {
	header := cfg.header.Clone() // read-only on the hot path, owned by this worker
	for ctx.Err() == nil {
		begin := time.Now()
		if begin.After(w.until) {
			return
		}
		url, body := cfg.target(next.Add(1) - 1)
		code, sample, err := send(ctx, client, cfg.method, url, header, body)
		end := time.Now()
		res.sent++
		if !w.contains(end) {
			continue
		}
		if err != nil {
			res.transport++
			res.errs.add(err.Error(), "")
			continue
		}
		// Latency covers every answered request, non-2xx included (as wrk does).
		if code < 200 || code > 299 {
			res.non2xx++
			res.errs.add(fmt.Sprintf("HTTP %d", code), sample)
		} else {
			res.ok++
		}
		res.hist.record(end.Sub(begin))
	}
}

// maxSample caps the part of an error response kept for diagnosis.
const maxSample = 300

// send performs one request and reads the whole response body. For a
// non-2xx answer it returns the start of the body as a sample.
func send(ctx context.Context, client *http.Client, method, url string, header http.Header, body []byte) (int, string, error) {
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
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
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
