package public_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/upstatehq/upstate/services/statuspage/internal/public"
)

// Serving a page that has not changed costs a copy of cached bytes while
// its revision is trusted (bin/statuspage's default lookup TTL).
func BenchmarkServe(b *testing.B) {
	for _, target := range []string{"/status/pushmail/api/v2/summary.json", "/status/pushmail"} {
		b.Run(target, func(b *testing.B) {
			f := setupWith(b, public.Options{LookupTTL: 500 * time.Millisecond})
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					rec := httptest.NewRecorder()
					f.e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
					if rec.Code != http.StatusOK {
						b.Errorf("GET %s: %d", target, rec.Code)
						return
					}
				}
			})
		})
	}
}
