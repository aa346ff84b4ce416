package audit

import (
	"bytes"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
)

// Redacted replaces a secret value.
const Redacted = "[redacted]"

// masked replaces a secret part of a URL (brackets would be escaped there).
const masked = "***"

// secretFields are JSON fields that hold secrets whatever their value
// looks like: receiver tokens and signing secrets, API key secrets
// (created keys answer theirs as "key"), subscriber secrets, passwords.
var secretFields = map[string]bool{
	"token": true, "secret": true, "key": true, "password": true, "api_key": true,
	"private_key": true, "client_secret": true, "authorization": true, "credentials": true,
}

// secretSuffixes mark more fields as secret ("signing_secret",
// "access_token", "smtp_password").
var secretSuffixes = []string{"_token", "_secret", "_password", "_key"}

// secretPrefixes start values that are secrets wherever they appear: API
// keys and Standard Webhooks secrets.
var secretPrefixes = []string{"ak_live_", "whsec_"}

// Redact returns a JSON document with every secret in it replaced: the
// values of secret fields (secretFields, secretSuffixes), API keys and
// signing secrets wherever they are, and in URLs the password, the query's
// values and any path segment that looks like a token (webhook URLs carry
// their credential in the path). It returns nil for an empty document,
// and an object saying so for one that is not JSON, so that nothing
// unexamined is ever stored.
func Redact(doc []byte) json.RawMessage {
	if len(bytes.TrimSpace(doc)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return json.RawMessage(`{"unreadable":true}`)
	}
	out, err := json.Marshal(redactValue("", v))
	if err != nil {
		return json.RawMessage(`{"unreadable":true}`)
	}
	return out
}

func redactValue(field string, v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			t[k] = redactValue(k, x)
		}
		return t
	case []any:
		for i, x := range t {
			t[i] = redactValue(field, x)
		}
		return t
	case string:
		switch {
		case t != "" && isSecretField(field):
			return Redacted
		case isPrefixField(field):
			// A key's or token's first characters, shown in listings to
			// tell them apart; never enough to use them.
			return t
		}
		return redactString(t)
	}
	return v
}

func isSecretField(field string) bool {
	f := strings.ToLower(field)
	if secretFields[f] {
		return true
	}
	for _, s := range secretSuffixes {
		if strings.HasSuffix(f, s) {
			return true
		}
	}
	return false
}

// isPrefixField reports whether a field holds the non-secret start of a
// secret ("prefix" of API keys, "token_prefix" of receivers).
func isPrefixField(field string) bool {
	f := strings.ToLower(field)
	return f == "prefix" || strings.HasSuffix(f, "_prefix")
}

func redactString(s string) string {
	for _, p := range secretPrefixes {
		if strings.Contains(s, p) {
			return Redacted
		}
	}
	if !strings.Contains(s, "://") {
		return s
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return s
	}
	return redactURL(u)
}

// redactURL keeps where a URL points (scheme, user, host, the readable
// part of the path) and masks what authenticates it.
func redactURL(u *url.URL) string {
	var b strings.Builder
	b.WriteString(u.Scheme + "://")
	if u.User != nil {
		b.WriteString(u.User.Username())
		if _, ok := u.User.Password(); ok {
			b.WriteString(":" + masked)
		}
		b.WriteString("@")
	}
	b.WriteString(u.Host)
	segs := strings.Split(u.EscapedPath(), "/")
	for i, seg := range segs {
		if looksLikeToken(seg) {
			segs[i] = masked
		}
	}
	b.WriteString(strings.Join(segs, "/"))
	if u.RawQuery != "" {
		q := u.Query()
		names := make([]string, 0, len(q))
		for name := range q {
			names = append(names, name)
		}
		slices.Sort(names)
		for i, name := range names {
			sep := "&"
			if i == 0 {
				sep = "?"
			}
			b.WriteString(sep + url.QueryEscape(name) + "=" + masked)
		}
	}
	return b.String()
}

// looksLikeToken reports whether a path segment is likely a credential:
// at least 16 characters mixing letters and digits, as webhook tokens
// (64 hex digits) and chat services' hook keys are; words and slugs are
// kept.
func looksLikeToken(seg string) bool {
	if len(seg) < 16 {
		return false
	}
	var letters, digits bool
	for _, c := range seg {
		switch {
		case c >= '0' && c <= '9':
			digits = true
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
			letters = true
		case c == '-' || c == '_':
		default:
			return false
		}
	}
	return letters && digits
}
