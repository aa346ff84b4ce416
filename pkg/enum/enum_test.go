package enum

import "testing"

func TestReverse(t *testing.T) {
	m := map[string]int{"up": 1, "down": 2}
	if d, ok := Reverse(m, 2); !ok || d != "down" {
		t.Fatalf("Reverse(2) = %q, %v", d, ok)
	}
	if d, ok := Reverse(m, 0); ok || d != "" {
		t.Fatalf("Reverse(0) = %q, %v", d, ok)
	}
}
