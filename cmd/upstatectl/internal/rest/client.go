// Package rest is a small client of upstate's REST API (/api/v1): bearer
// authentication, the error envelope turned into an *Error, cursor
// pagination, and bounded retries of 429 and 503 after their Retry-After.
package rest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jonboulle/clockwork"
)

// Retry defaults: a busy or degraded server is asked again a few times,
// never for longer than a CI job would want to wait.
const (
	DefaultRetries = 3
	// defaultWait is the wait when a 429 or 503 carries no Retry-After.
	defaultWait = time.Second
	// maxWait caps one wait, whatever Retry-After asks.
	maxWait = 30 * time.Second
	// maxPage is the largest page the API serves.
	maxPage = 200
)

// Client calls one upstate server with one API key.
type Client struct {
	// BaseURL is the server, e.g. http://127.0.0.1:8080; a trailing
	// /api/v1 is allowed.
	BaseURL string
	APIKey  string
	HTTP    *http.Client
	// Clock times the waits between retries.
	Clock clockwork.Clock
	// Retries is how many times a 429 or 503 is tried again.
	Retries int
	// OnRetry, when set, is told of each retry before its wait.
	OnRetry func(err *Error, wait time.Duration)
	// UserAgent is sent with every request.
	UserAgent string
}

// Error is an error answer of the API: its status and the envelope's code
// and message.
type Error struct {
	Status    int
	Code      string
	Message   string
	RequestID string
	// RetryAfter is the Retry-After of a 429 or 503 (zero when absent).
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	if e.Code == "" {
		return fmt.Sprintf("%s (HTTP %d)", e.Message, e.Status)
	}
	return fmt.Sprintf("%s (%s, HTTP %d)", e.Message, e.Code, e.Status)
}

// IsNotFound reports whether err is a 404 of the API.
func IsNotFound(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == http.StatusNotFound
}

// Do sends a request with body (marshalled to JSON unless nil) and
// returns the answer's body. An error answer is an *Error.
func (c *Client) Do(ctx context.Context, method, path string, query url.Values, body any) (json.RawMessage, error) {
	var raw []byte
	if body != nil {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			return nil, fmt.Errorf("encode request: %w", err)
		}
	}
	target := c.endpoint(path, query)
	for attempt := 0; ; attempt++ {
		out, err := c.send(ctx, method, target, raw)
		var apiErr *Error
		if err == nil || !errors.As(err, &apiErr) || !retryable(method, apiErr.Status) || attempt >= c.Retries {
			return out, err
		}
		wait := apiErr.RetryAfter
		if wait <= 0 {
			wait = defaultWait
		}
		wait = min(wait, maxWait)
		if c.OnRetry != nil {
			c.OnRetry(apiErr, wait)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%w (gave up waiting to retry: %w)", apiErr, ctx.Err())
		case <-c.Clock.After(wait):
		}
	}
}

// retryable says which answers are worth sending again later. A 429 was
// refused before anything was done. A 503 may also come from a backing
// service that timed out after acting, so only requests whose repetition
// changes nothing more (GET, PUT, PATCH, DELETE) are sent again; a POST
// could open a second incident or make a second key.
func retryable(method string, status int) bool {
	switch status {
	case http.StatusTooManyRequests:
		return true
	case http.StatusServiceUnavailable:
		return method != http.MethodPost
	}
	return false
}

// List fetches the items of a list operation, following next_cursor until
// the last page or until max items (0: all).
func (c *Client) List(ctx context.Context, path string, query url.Values, max int) ([]json.RawMessage, error) {
	q := url.Values{}
	for k, v := range query {
		q[k] = v
	}
	var items []json.RawMessage
	for {
		size := maxPage
		if max > 0 {
			size = min(size, max-len(items))
		}
		q.Set("limit", strconv.Itoa(size))
		raw, err := c.Do(ctx, http.MethodGet, path, q, nil)
		if err != nil {
			return nil, err
		}
		var page struct {
			Data       []json.RawMessage `json:"data"`
			NextCursor string            `json:"next_cursor"`
		}
		if err := json.Unmarshal(raw, &page); err != nil {
			return nil, fmt.Errorf("decode %s: %w", path, err)
		}
		items = append(items, page.Data...)
		if page.NextCursor == "" || (max > 0 && len(items) >= max) {
			return items, nil
		}
		q.Set("cursor", page.NextCursor)
	}
}

func (c *Client) endpoint(path string, query url.Values) string {
	base := strings.TrimSuffix(strings.TrimSuffix(c.BaseURL, "/"), "/api/v1")
	u := base + "/api/v1" + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	return u
}

func (c *Client) send(ctx context.Context, method, target string, body []byte) (json.RawMessage, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.APIKey)
	if c.UserAgent != "" {
		req.Header.Set("User-Agent", c.UserAgent)
	}
	res, err := c.HTTP.Do(req)
	if err != nil {
		// The client's error repeats the URL, query included; say it once,
		// without the query.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("%s %s: %w", method, redact(target), err)
	}
	defer res.Body.Close()
	out, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("read answer of %s %s: %w", method, redact(target), err)
	}
	if res.StatusCode >= 400 {
		return nil, decodeError(res, out)
	}
	return out, nil
}

// redact drops the query, which may carry a cursor, from a URL shown in
// an error.
func redact(target string) string {
	u, err := url.Parse(target)
	if err != nil {
		return target
	}
	u.RawQuery = ""
	return u.String()
}

// decodeError reads the error envelope; an answer without one (a proxy's
// page) keeps its status text.
func decodeError(res *http.Response, body []byte) *Error {
	e := &Error{Status: res.StatusCode, RequestID: res.Header.Get("X-Request-Id")}
	if s, err := strconv.Atoi(res.Header.Get("Retry-After")); err == nil && s >= 0 {
		e.RetryAfter = time.Duration(s) * time.Second
	} else if t, err := http.ParseTime(res.Header.Get("Retry-After")); err == nil {
		e.RetryAfter = time.Until(t)
	}
	var env struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &env) == nil && env.Error.Message != "" {
		e.Code, e.Message = env.Error.Code, env.Error.Message
		return e
	}
	e.Message = strings.ToLower(http.StatusText(res.StatusCode))
	if e.Message == "" {
		e.Message = "error"
	}
	return e
}
