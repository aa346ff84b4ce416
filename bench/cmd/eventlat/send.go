package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// accepted is one measured delivery the gateway accepted.
type accepted struct {
	id string
	at time.Time // when the 202 came
}

// sent is what the senders did.
type sent struct {
	accepted []accepted // measured ones only
	attempts uint64     // measured deliveries sent
	failed   uint64     // of those, not answered 202
	firstErr string
}

// send runs one sender per receiver at its share of the rate until the
// measured window closes.
func send(ctx context.Context, cfg config) *sent {
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		Proxy: nil, MaxIdleConnsPerHost: len(cfg.urls), DisableCompression: true,
	}}
	interval := time.Duration(float64(time.Second) * float64(len(cfg.urls)) / cfg.rate)
	start := time.Now()
	from, until := start.Add(cfg.warmup), start.Add(cfg.warmup+cfg.duration)
	bodies := [2][]byte{[]byte(`{"status":"down"}`), []byte(`{"status":"operational"}`)}
	var sigs [2]string
	for i, b := range bodies {
		sigs[i] = sign(cfg.secret, b)
	}

	var (
		mu  sync.Mutex
		out = &sent{}
		wg  sync.WaitGroup
	)
	for i, url := range cfg.urls {
		wg.Go(func() {
			// Staggered, so that the receivers' deliveries spread evenly.
			next := start.Add(interval * time.Duration(i) / time.Duration(len(cfg.urls)))
			for k := 0; ; k++ {
				time.Sleep(time.Until(next))
				next = next.Add(interval)
				if time.Now().After(until) {
					return
				}
				id, at, err := deliver(ctx, client, url, bodies[k%2], cfg.sigHdr, sigs[k%2])
				if at.Before(from) {
					continue
				}
				mu.Lock()
				out.attempts++
				if err != nil {
					out.failed++
					if out.firstErr == "" {
						out.firstErr = err.Error()
					}
				} else {
					out.accepted = append(out.accepted, accepted{id: id, at: at})
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return out
}

// deliver posts one signed delivery and returns its id and when the 202
// came.
func deliver(ctx context.Context, client *http.Client, url string, body []byte, sigHdr, sig string) (string, time.Time, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return "", time.Now(), err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(sigHdr, sig)
	resp, err := client.Do(req)
	at := time.Now()
	if err != nil {
		return "", at, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if err != nil {
		return "", at, fmt.Errorf("read answer: %w", err)
	}
	if resp.StatusCode != http.StatusAccepted {
		return "", at, fmt.Errorf("HTTP %d: %s", resp.StatusCode, b)
	}
	var a struct {
		DeliveryID string `json:"delivery_id"`
	}
	if err := json.Unmarshal(b, &a); err != nil || a.DeliveryID == "" {
		return "", at, fmt.Errorf("no delivery id in %s", b)
	}
	return a.DeliveryID, at, nil
}

// sign returns the lowercase hex HMAC-SHA256 of body under secret.
func sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}
