package ids

import (
	"strings"
	"testing"
)

func TestNewIsPrefixedAndIncreasing(t *testing.T) {
	prev := ""
	for range 1000 {
		id := New(Service)
		if !HasPrefix(id, Service) {
			t.Fatalf("HasPrefix(%q, svc) = false", id)
		}
		if id <= prev {
			t.Fatalf("%q does not sort after %q", id, prev)
		}
		prev = id
	}
	for _, bad := range []string{"", "svc_", "org_" + strings.Repeat("0", 26), "svc_" + strings.Repeat("u", 26), "svc_123"} {
		if HasPrefix(bad, Service) {
			t.Errorf("HasPrefix(%q, svc) = true", bad)
		}
	}
}
