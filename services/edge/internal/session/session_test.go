package session

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func codec(t *testing.T, fill byte) *Codec {
	t.Helper()
	c, err := NewCodec(bytes.Repeat([]byte{fill}, SecretLen))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSealOpen(t *testing.T) {
	now := time.Date(2031, 1, 2, 3, 4, 5, 0, time.UTC)
	c := codec(t, 1)
	s := New("org_1", "key_1", now.Add(time.Hour))
	v := c.Seal(s)
	if strings.Contains(v, "key_1") || strings.Contains(v, "org_1") {
		t.Fatalf("cookie %q shows what it carries", v)
	}
	got, err := c.Open(v, now)
	if err != nil || got != s {
		t.Fatalf("Open = %+v, %v; want %+v", got, err, s)
	}
	if !got.SignedIn() {
		t.Error("a session with a key is not signed in")
	}
	for name, tc := range map[string]struct {
		c     *Codec
		value string
		at    time.Time
	}{
		"expired":          {c, v, now.Add(time.Hour)},
		"other secret":     {codec(t, 2), v, now},
		"changed":          {c, v[:len(v)-2] + "AA", now},
		"not base64":       {c, "%%%", now},
		"too short":        {c, "AAAA", now},
		"empty":            {c, "", now},
		"sealed elsewhere": {c, codec(t, 3).Seal(s), now},
	} {
		if _, err := tc.c.Open(tc.value, tc.at); err != ErrInvalid {
			t.Errorf("%s: Open = %v, want ErrInvalid", name, err)
		}
	}
}

func TestCSRF(t *testing.T) {
	c := codec(t, 1)
	a, b := New("", "", time.Now()), New("", "", time.Now())
	if !c.CheckCSRF(a, c.CSRF(a)) {
		t.Error("a session's own token is refused")
	}
	for _, bad := range []string{"", c.CSRF(b), codec(t, 2).CSRF(a)} {
		if c.CheckCSRF(a, bad) {
			t.Errorf("token %q accepted", bad)
		}
	}
}

func TestNewCodecSecretLength(t *testing.T) {
	if _, err := NewCodec(make([]byte, 16)); err == nil {
		t.Error("a 16-byte secret accepted")
	}
}
