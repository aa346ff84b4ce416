package delivery

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/textproto"
	"net/url"
	"strconv"
	"time"

	"github.com/upstatehq/upstate/pkg/mail"
	"github.com/upstatehq/upstate/pkg/netguard"
	"github.com/upstatehq/upstate/services/notification/internal/channel"
)

// outcome is what one attempt came to.
type outcome struct {
	// code is the HTTP status or SMTP reply code (0: none).
	code int
	// err says why it failed; nil when delivered. Its text never holds a
	// URL, which may carry credentials.
	err error
	// final says no retry can help (a 4xx other than 408 and 429, an
	// address refused by the SSRF guard, a permanent SMTP refusal).
	final bool
	// retryAfter is the far side's Retry-After, if it gave one.
	retryAfter time.Duration
}

// breakerFailure is the error the circuit breaker counts: only failures
// that say the far side is unwell, not a final refusal of one message.
func (o outcome) breakerFailure() error {
	if o.err != nil && !o.final {
		return o.err
	}
	return nil
}

// newClient returns the HTTP client of deliveries: every dial goes through
// the SSRF guard, and only method-preserving redirects (307, 308) are
// followed, each dial checked again.
func newClient(allow []netip.Prefix, conns int) *http.Client {
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second, Control: netguard.New(allow...).Control}
	transport := &http.Transport{
		DialContext: dialer.DialContext, ForceAttemptHTTP2: true, TLSHandshakeTimeout: 5 * time.Second,
		MaxIdleConns: conns * 4, MaxIdleConnsPerHost: conns, IdleConnTimeout: 90 * time.Second,
		ResponseHeaderTimeout: 10 * time.Second,
	}
	return &http.Client{Transport: transport, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if len(via) >= 5 {
			return errors.New("too many redirects")
		}
		if code := req.Response.StatusCode; code != http.StatusTemporaryRedirect && code != http.StatusPermanentRedirect {
			return http.ErrUseLastResponse
		}
		return nil
	}}
}

// post makes one HTTP attempt.
func (w *Worker) post(ctx context.Context, r channel.Request) outcome {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.URL, bytes.NewReader(r.Body))
	if err != nil {
		return outcome{err: errors.New("invalid url"), final: true}
	}
	req.Header = r.Header
	resp, err := w.client.Do(req)
	if err != nil {
		return outcome{err: transportError(err), final: errors.Is(err, netguard.ErrRefused)}
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	o := outcome{code: resp.StatusCode}
	switch c := resp.StatusCode; {
	case c >= 200 && c < 300:
		return o
	case c == http.StatusRequestTimeout || c == http.StatusTooManyRequests:
	case c >= 300 && c < 500:
		o.final = true
	}
	o.err = fmt.Errorf("answered %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	o.retryAfter = retryAfter(resp.Header.Get("Retry-After"), w.clock.Now())
	return o
}

// transportError is err without the request's URL, which *url.Error
// repeats and which may carry credentials (a Slack webhook's path).
func transportError(err error) error {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	switch {
	case errors.Is(err, netguard.ErrRefused):
		return errors.New("refused: the address is loopback, private, link-local or metadata (UPSTATE_NOTIFY_ALLOW_PRIVATE allows ranges)")
	case errors.Is(err, context.DeadlineExceeded):
		return errors.New("timed out")
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return fmt.Errorf("resolve %s: %s", dnsErr.Name, dnsErr.Err)
	}
	return err
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// email sends one email attempt.
func (w *Worker) email(ctx context.Context, m *channel.EmailMessage) outcome {
	if w.mailer == nil {
		return outcome{err: errors.New("no mail server is configured (UPSTATE_SMTP_URL)"), final: true}
	}
	err := w.mailer.Send(ctx, mail.Message{To: m.To, Subject: m.Subject, Body: m.Body, Unsubscribe: m.Unsubscribe})
	if err == nil {
		return outcome{code: 250}
	}
	var reply *textproto.Error
	if errors.As(err, &reply) {
		// 5xx replies are permanent, 4xx transient (RFC 5321).
		return outcome{code: reply.Code, err: err, final: reply.Code >= 500}
	}
	return outcome{err: err}
}
