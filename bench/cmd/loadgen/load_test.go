package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
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
	if res.hist.total != res.ok+res.non2xx {
		t.Errorf("histogram holds %d latencies, want %d", res.hist.total, res.ok+res.non2xx)
	}
	if res.errs.counts["HTTP 409"] != res.non2xx || res.errs.sample["HTTP 409"] != "rejected\n" {
		t.Errorf("error log = %+v", res.errs)
	}
	rep := newReport(cfg, res)
	if rep.ErrorRate < 0.4 || rep.ErrorRate > 0.6 || rep.DurationS != (300*time.Millisecond).Seconds() {
		t.Errorf("report = %+v", rep)
	}
}
