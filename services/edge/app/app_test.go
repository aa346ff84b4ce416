package app

import "testing"

func TestValidatePublicURL(t *testing.T) {
	for _, ok := range []string{"", "https://status.example.com", "http://127.0.0.1:8080", "https://example.com/upstate/"} {
		if err := validatePublicURL(ok); err != nil {
			t.Errorf("validatePublicURL(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"status.example.com", "ftp://example.com", "https://", "https://example.com/?a=b", "https://example.com/#x", "https://user:pw@example.com", "://x"} {
		if err := validatePublicURL(bad); err == nil {
			t.Errorf("validatePublicURL(%q) accepted", bad)
		}
	}
}
