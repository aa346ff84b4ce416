package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestPutStatus(t *testing.T) {
	t.Parallel()
	now := func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }
	tests := []struct {
		name string
		body string
		want int
	}{
		{"change", `{"status":"down","description":"bench"}`, http.StatusOK},
		{"invalid status", `{"status":"sideways"}`, http.StatusUnprocessableEntity},
		{"malformed", `{"status":`, http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest(http.MethodPut, "/api/v1/services/svc_1", strings.NewReader(tt.body))
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			newServer(now).ServeHTTP(rec, req)
			if rec.Code != tt.want {
				t.Fatalf("status = %d, want %d; body %s", rec.Code, tt.want, rec.Body)
			}
			if tt.want != http.StatusOK {
				return
			}
			var s service
			if err := json.Unmarshal(rec.Body.Bytes(), &s); err != nil {
				t.Fatalf("decode response: %v", err)
			}
			if s.ID != "svc_1" || s.Status != "down" || s.StatusDescription != "bench" {
				t.Errorf("response = %+v", s)
			}
		})
	}
}
