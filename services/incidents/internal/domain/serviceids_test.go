package domain

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"
)

// manyIDs returns n distinct service ids.
func manyIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("svc_%d", i)
	}
	return ids
}

// repeated returns n copies of id, then last.
func repeated(id string, n int, last string) []string {
	ids := make([]string, n, n+1)
	for i := range ids {
		ids[i] = id
	}
	return append(ids, last)
}

// Every way of giving services refuses a list longer than MaxServices
// before looking at its ids, whatever they are: a list of tens of
// thousands of ids costs no more than one of a hundred and one.
func TestServiceIDLimitComesFirst(t *testing.T) {
	const want = "service_ids: must name at most 100 services"
	now := t0
	scheduled := Maintenance{ID: "mnt_1", Title: "Upgrade", ServiceIDs: []string{"svc_1"}, StartsAt: now.Add(time.Hour), EndsAt: now.Add(2 * time.Hour), Status: Scheduled, Version: 1}
	lists := map[string][]string{
		"50,000 distinct ids":             manyIDs(50_000),
		"50,000 copies of one id":         repeated("svc_1", 50_000, "svc_1"),
		"101 ids, one of them a repeat":   append(manyIDs(100), "svc_0"),
		"50,000 ids ending with an empty": repeated("svc_1", 50_000, ""),
	}
	for name, ids := range lists {
		validations := map[string]func() error{
			"new incident": func() error {
				n := NewIncident{Title: "Outage", Severity: Major, ServiceIDs: ids}
				return n.Validate()
			},
			"incident patch": func() error {
				p := Patch{ServiceIDs: &ids}
				return p.Validate()
			},
			"new maintenance": func() error {
				n := NewMaintenance{Title: "Upgrade", ServiceIDs: ids, StartsAt: now.Add(time.Hour), EndsAt: now.Add(2 * time.Hour)}
				return n.Validate(now)
			},
			"maintenance patch": func() error {
				p := MaintenancePatch{ServiceIDs: &ids}
				return p.Validate()
			},
			"maintenance patch applied": func() error {
				_, err := MaintenancePatch{ServiceIDs: &ids}.Apply(scheduled, now)
				return err
			},
		}
		for what, validate := range validations {
			t.Run(name+"/"+what, func(t *testing.T) {
				var verr *ValidationError
				if err := validate(); !errors.As(err, &verr) || err.Error() != want {
					t.Fatalf("err = %v, want %q", err, want)
				}
			})
		}
	}
}

// Within the limit, ids are trimmed and repeats dropped, keeping the
// first occurrence's place.
func TestServiceIDsNormalized(t *testing.T) {
	tests := []struct {
		name string
		in   []string
		want []string
		err  string
	}{
		{"repeats dropped in place", []string{"svc_2", " svc_1", "svc_2 ", "svc_3", "svc_1"}, []string{"svc_2", "svc_1", "svc_3"}, ""},
		{"exactly the limit", manyIDs(MaxServices), manyIDs(MaxServices), ""},
		{"empty id", []string{"svc_1", " "}, nil, "service_ids: must not contain empty ids"},
		{"none", nil, []string{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := normalizeServiceIDs(tt.in, 0)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Fatalf("normalizeServiceIDs = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

// BenchmarkNormalizeServiceIDs shows the cost of checking a list by its
// length; it is reported, not asserted. A list past the limit costs
// nothing, one within it grows linearly.
func BenchmarkNormalizeServiceIDs(b *testing.B) {
	for _, n := range []int{10, MaxServices, MaxServices + 1, 1_000, 50_000} {
		ids := manyIDs(n)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for b.Loop() {
				_, _ = normalizeServiceIDs(ids, 0)
			}
		})
	}
}
