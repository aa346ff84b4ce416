package audit

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestRedactRemovesSecrets(t *testing.T) {
	for _, tt := range []struct {
		name, in, want string
	}{
		{"receiver token and url", `{"id":"whr_1","token":"0123abcd","token_prefix":"0123ab","url":"https://up.example.com/api/webhooks/incoming/` + strings.Repeat("ab12", 16) + `"}`,
			`{"id":"whr_1","token":"[redacted]","token_prefix":"0123ab","url":"https://up.example.com/api/webhooks/incoming/***"}`},
		{"signing secret nested", `{"signature":{"scheme":"hex","secret":"change-me","secret_set":true}}`,
			`{"signature":{"scheme":"hex","secret":"[redacted]","secret_set":true}}`},
		{"created API key", `{"id":"key_1","key":"ak_live_abc","name":"CI","prefix":"ak_live_a"}`, `{"id":"key_1","key":"[redacted]","name":"CI","prefix":"ak_live_a"}`},
		{"API key anywhere", `{"note":"use ak_live_abcdef please"}`, `{"note":"[redacted]"}`},
		{"standard webhooks secret", `["whsec_abc"]`, `["[redacted]"]`},
		{"suffixes", `{"signing_secret":"s","access_token":"t","smtp_password":"p","private_key":"k"}`,
			`{"access_token":"[redacted]","private_key":"[redacted]","signing_secret":"[redacted]","smtp_password":"[redacted]"}`},
		{"url credentials and query", `{"endpoint":"https://bob:hunter2@hooks.example.com/notify?token=abc&team=x"}`,
			`{"endpoint":"https://bob:***@hooks.example.com/notify?team=***\u0026token=***"}`},
		{"chat hook key in the path", `{"endpoint":"https://hooks.slack.com/services/T0001/B0001/XXXXXXXX1234XXXXXXXXXXXX"}`,
			`{"endpoint":"https://hooks.slack.com/services/T0001/B0001/***"}`},
		{"readable urls kept", `{"url":"https://status.example.com/status/pushmail-eu"}`, `{"url":"https://status.example.com/status/pushmail-eu"}`},
		{"other values kept", `{"name":"API","tags":{"team":"payments"},"position":2,"ok":true,"none":null}`,
			`{"name":"API","none":null,"ok":true,"position":2,"tags":{"team":"payments"}}`},
		{"empty secret field kept empty", `{"token":""}`, `{"token":""}`},
		{"not JSON", `{"token":`, `{"unreadable":true}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := string(Redact([]byte(tt.in)))
			if got != tt.want {
				t.Errorf("Redact(%s)\n got %s\nwant %s", tt.in, got, tt.want)
			}
		})
	}
	if Redact(nil) != nil || Redact([]byte("  ")) != nil {
		t.Error("an empty document is not nil")
	}
}

// FuzzRedact checks that whatever the document, a secret placed in a
// secret field or given the shape of an API key never survives.
func FuzzRedact(f *testing.F) {
	f.Add(`{"a":1}`, "token", "s3cret-value")
	f.Add(`[{"b":"x"}]`, "webhook_secret", "ak_live_zz")
	f.Fuzz(func(t *testing.T, doc, field, secret string) {
		if len(secret) < 4 || !isSecretField(field) {
			return
		}
		var v any
		if json.Unmarshal([]byte(doc), &v) != nil {
			return
		}
		wrapped, _ := json.Marshal(map[string]any{"doc": v, field: secret, "k": "ak_live_" + secret})
		out := string(Redact(wrapped))
		enc, _ := json.Marshal(secret)
		if strings.Contains(out, string(enc)) || strings.Contains(out, "ak_live_"+secret) {
			t.Fatalf("secret %q survived: %s", secret, out)
		}
	})
}
