package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestRunLoad(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.Header.Get("X-Bench") != "1" || string(b) == "bad" {
			http.Error(w, "rejected", http.StatusConflict)
			return
		}
		_, _ = w.Write(b)
	}))
	t.Cleanup(srv.Close)

	cfg, err := parseFlags([]string{
		"-url", srv.URL, "-method", "PUT", "-header", "X-Bench: 1",
		"-body", "good", "-body", "bad", "-c", "4", "-d", "300ms", "-warmup", "50ms",
	})
	if err != nil {
		t.Fatalf("parseFlags: %v", err)
	}
	res, err := runLoad(context.Background(), cfg)
	if err != nil {
		t.Fatalf("runLoad: %v", err)
	}
	if res.ok == 0 || res.non2xx == 0 || res.transport != 0 {
		t.Fatalf("ok=%d non2xx=%d transport=%d, want both bodies answered", res.ok, res.non2xx, res.transport)
	}
	// Round-robin across workers: the two bodies alternate globally.
	if diff := int64(res.ok) - int64(res.non2xx); diff > 10 || diff < -10 {
		t.Errorf("ok=%d non2xx=%d, want nearly equal", res.ok, res.non2xx)
	}
	if res.sent < res.ok+res.non2xx {
		t.Errorf("sent = %d, below the %d measured", res.sent, res.ok+res.non2xx)
	}
	if res.sentOK < res.ok || res.sentOK >= res.sent {
		t.Errorf("sent_ok = %d, want between the %d measured 2xx and the %d sent", res.sentOK, res.ok, res.sent)
	}
	if res.hist.Count() != res.ok+res.non2xx {
		t.Errorf("histogram holds %d latencies, want %d", res.hist.Count(), res.ok+res.non2xx)
	}
	if res.errs.counts["HTTP 409"] != res.non2xx || res.errs.sample["HTTP 409"] != "rejected\n" {
		t.Errorf("error log = %+v", res.errs)
	}
	rep := newReport(cfg, res)
	if rep.ErrorRate < 0.4 || rep.ErrorRate > 0.6 || rep.DurationS != (300*time.Millisecond).Seconds() {
		t.Errorf("report = %+v", rep)
	}
}

// TestRunLoadPinnedAndSigned plays a webhook receiver per URL: it checks
// every signature and that, pinned with one URL per connection, each URL
// gets its requests one at a time with the bodies alternating.
func TestRunLoadPinnedAndSigned(t *testing.T) {
	t.Parallel()
	const secret = "bench-secret"
	var (
		mu       sync.Mutex
		inFlight = map[string]bool{}
		last     = map[string]string{}
		problems []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write(b)
		if r.Header.Get("X-Webhook-Signature") != hex.EncodeToString(mac.Sum(nil)) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		mu.Lock()
		if inFlight[r.URL.Path] {
			problems = append(problems, "concurrent requests to "+r.URL.Path)
		}
		if last[r.URL.Path] == string(b) {
			problems = append(problems, r.URL.Path+" got "+string(b)+" twice in a row")
		}
		inFlight[r.URL.Path], last[r.URL.Path] = true, string(b)
		mu.Unlock()
		time.Sleep(time.Millisecond) // widens any overlap
		mu.Lock()
		inFlight[r.URL.Path] = false
		mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(srv.Close)

	cfg, err := parseFlags([]string{
		"-url", srv.URL + "/a", "-url", srv.URL + "/b", "-url", srv.URL + "/c", "-c", "3", "-pin",
		"-method", "POST", "-body", "down", "-body", "up", "-hmac-secret", secret,
		"-d", "200ms", "-warmup", "0s",
	})
	if err != nil {
		t.Fatalf("parseFlags: %v", err)
	}
	res, err := runLoad(context.Background(), cfg)
	if err != nil {
		t.Fatalf("runLoad: %v", err)
	}
	if res.ok == 0 || res.non2xx != 0 || res.transport != 0 {
		t.Fatalf("ok=%d non2xx=%d transport=%d, want every request accepted", res.ok, res.non2xx, res.transport)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(problems) > 0 {
		t.Errorf("%d problems, first: %s", len(problems), problems[0])
	}
	if len(last) != 3 {
		t.Errorf("URLs used: %v, want all three", last)
	}
}

// TestRunLoadExpectStatus counts a 2xx other than -expect-status as a
// failure, as a ?wait=true delivery answered 202 "pending" must be.
func TestRunLoadExpectStatus(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if b, _ := io.ReadAll(r.Body); string(b) == "late" {
			w.WriteHeader(http.StatusAccepted)
			_, _ = io.WriteString(w, `{"result":"pending"}`)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)

	cfg, err := parseFlags([]string{
		"-url", srv.URL, "-method", "POST", "-body", "applied", "-body", "late",
		"-expect-status", "200", "-c", "2", "-d", "200ms", "-warmup", "0s",
	})
	if err != nil {
		t.Fatalf("parseFlags: %v", err)
	}
	res, err := runLoad(context.Background(), cfg)
	if err != nil {
		t.Fatalf("runLoad: %v", err)
	}
	if res.ok == 0 || res.non2xx == 0 {
		t.Fatalf("ok=%d non2xx=%d, want both", res.ok, res.non2xx)
	}
	if res.errs.sample["HTTP 202"] != `{"result":"pending"}` {
		t.Errorf("error log = %+v", res.errs)
	}
	// sent_ok also counts the 200s of requests still in flight when the
	// window closed: at most one per connection.
	if res.sentOK < res.ok || res.sentOK > res.ok+uint64(cfg.conns) {
		t.Errorf("sent_ok = %d, want the %d measured 200s plus at most %d", res.sentOK, res.ok, cfg.conns)
	}
}

// With -n, exactly n requests are sent, however many connections share
// them, and the run ends well before -d.
func TestRunLoadStopsAfterN(t *testing.T) {
	t.Parallel()
	var got sync.Map
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		got.Store(r.URL.Path, true)
	}))
	t.Cleanup(srv.Close)
	cfg, err := parseFlags([]string{"-url", srv.URL + "/a", "-url", srv.URL + "/b", "-pin", "-c", "8", "-n", "1001", "-d", "1m", "-warmup", "0s"})
	if err != nil {
		t.Fatalf("parseFlags: %v", err)
	}
	start := time.Now()
	res, err := runLoad(context.Background(), cfg)
	if err != nil {
		t.Fatalf("runLoad: %v", err)
	}
	if res.sent != 1001 || res.sentOK != 1001 || n.Load() != 1001 {
		t.Fatalf("sent %d (ok %d), server saw %d, want 1001", res.sent, res.sentOK, n.Load())
	}
	if took := time.Since(start); took > 30*time.Second {
		t.Fatalf("took %v: the run waited for -d", took)
	}
}
