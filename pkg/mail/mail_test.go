package mail_test

import (
	"context"
	"crypto/tls"
	"mime"
	"strings"
	"testing"

	"github.com/upstatehq/upstate/pkg/mail"
	"github.com/upstatehq/upstate/pkg/mail/mailtest"
)

// A message goes through a real SMTP server over STARTTLS with PLAIN
// authentication, with its headers and unsubscribe link; a wrong password
// is refused.
func TestSendOverSTARTTLS(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t, "pages", "s3cret")
	m, err := mail.New(srv.URL, "Pushmail status <status@pushmail.example>")
	if err != nil {
		t.Fatal(err)
	}
	m.TLS = &tls.Config{RootCAs: srv.CA}
	err = m.Send(context.Background(), mail.Message{
		To: "ops@example.com", Subject: "Pushmail: Email Delivery is degraded — délais", Unsubscribe: "https://status.example/unsubscribe/t",
		Body: "Email Delivery is degraded\n.\nsee the page",
	})
	if err != nil {
		t.Fatal(err)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages, want 1", len(msgs))
	}
	got := msgs[0]
	h := got.Parsed.Header
	subject, _ := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
	if got.From != "status@pushmail.example" || got.To[0] != "ops@example.com" || subject != "Pushmail: Email Delivery is degraded — délais" ||
		h.Get("List-Unsubscribe") != "<https://status.example/unsubscribe/t>" || !strings.Contains(got.Body, "\r\n.\r\nsee the page") {
		t.Errorf("message from %s to %v, headers %v, body %q", got.From, got.To, h, got.Body)
	}

	bad, err := mail.New(strings.Replace(srv.URL, "s3cret", "wrong", 1), "status@pushmail.example")
	if err != nil {
		t.Fatal(err)
	}
	bad.TLS = &tls.Config{RootCAs: srv.CA}
	if err := bad.Send(context.Background(), mail.Message{To: "ops@example.com", Subject: "x", Body: "x"}); err == nil {
		t.Error("a wrong password was accepted")
	}
	// The server's certificate is checked.
	untrusted, _ := mail.New(srv.URL, "status@pushmail.example")
	if err := untrusted.Send(context.Background(), mail.Message{To: "ops@example.com", Subject: "x", Body: "x"}); err == nil {
		t.Error("a certificate from an unknown CA was accepted")
	}
	if len(srv.Messages()) != 1 {
		t.Error("a refused attempt delivered a message")
	}
}

func TestNewRefusesBadURLs(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"", "http://host", "smtp://", "smtp://host/path", "mailto:x@y"} {
		if _, err := mail.New(u, "a@b.example"); err == nil {
			t.Errorf("New(%q) accepted", u)
		}
	}
	if _, err := mail.New("smtp://host", "not an address"); err == nil {
		t.Error("a bad From was accepted")
	}
}
