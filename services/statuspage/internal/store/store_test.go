package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/upstatehq/upstate/pkg/service/servicetest"
	"github.com/upstatehq/upstate/pkg/testenv"
	"github.com/upstatehq/upstate/services/statuspage/internal/domain"
	"github.com/upstatehq/upstate/services/statuspage/internal/store"
	"github.com/upstatehq/upstate/services/statuspage/migrations"
)

func TestMain(m *testing.M) { testenv.Main(m) }

var t0 = time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)

func newStore(t *testing.T) *store.Store {
	t.Helper()
	st := store.New(servicetest.Postgres(t, migrations.Schema, migrations.FS))
	for _, id := range []string{"svc_a", "svc_b", "svc_c"} {
		if err := st.SeedService(context.Background(), domain.ServiceState{ServiceID: id, OrgID: "org_1", Name: id, Status: domain.Operational, Version: 1}, t0); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

func accept(*domain.Page) error { return nil }

// Slugs and custom domains are unique across organisations; replacing the
// components keeps the id of those that stay; the page's revision moves
// with every change it shows; another organisation's page is not found.
func TestPagesContract(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newStore(t)
	p, err := st.CreatePage(ctx, domain.Page{OrgID: "org_1", Name: "One", Slug: "one", CustomDomain: "status.one.example", CreatedAt: t0,
		Components: []domain.Component{{ServiceID: "svc_a", Position: 1}, {ServiceID: "svc_b", Position: 2}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreatePage(ctx, domain.Page{OrgID: "org_2", Name: "Two", Slug: "one", CreatedAt: t0}); !errors.Is(err, domain.ErrSlugTaken) {
		t.Errorf("a slug in use: %v, want ErrSlugTaken", err)
	}
	if _, err := st.CreatePage(ctx, domain.Page{OrgID: "org_2", Name: "Two", Slug: "two", CustomDomain: "status.one.example", CreatedAt: t0}); !errors.Is(err, domain.ErrDomainTaken) {
		t.Errorf("a custom domain in use: %v, want ErrDomainTaken", err)
	}
	if _, err := st.GetPage(ctx, "org_2", p.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("another organisation's page: %v, want ErrNotFound", err)
	}
	before, err := st.PageBySlug(ctx, "one")
	if err != nil {
		t.Fatal(err)
	}

	comps := []domain.Component{{ServiceID: "svc_b", Name: "B", Position: 1}, {ServiceID: "svc_c", Position: 2}}
	empty := ""
	updated, err := st.UpdatePage(ctx, "org_1", p.ID, store.PageChange{Components: &comps, CustomDomain: &empty}, t0.Add(time.Minute), accept)
	if err != nil {
		t.Fatal(err)
	}
	if len(updated.Components) != 2 || updated.Components[0].ID != p.Components[1].ID || updated.Components[0].Name != "B" ||
		updated.Components[1].Name != "svc_c" || updated.CustomDomain != "" {
		t.Errorf("updated %+v; svc_b keeps %s, svc_c is named after its service, no custom domain", updated, p.Components[1].ID)
	}
	after, err := st.PageBySlug(ctx, "one")
	if err != nil || after.Revision <= before.Revision {
		t.Fatalf("revision %d after an update, was %d (%v)", after.Revision, before.Revision, err)
	}
	// A status change of a service shown moves the revision; of one not shown, not.
	for _, tt := range []struct {
		service string
		moves   bool
	}{{"svc_c", true}, {"svc_a", false}} {
		if _, err := st.ApplyServices(ctx, t0, domain.ServiceEvent{OrgID: "org_1", ServiceID: tt.service, Version: 5, HasStatus: true, Status: domain.Down, At: t0}); err != nil {
			t.Fatal(err)
		}
		next, err := st.PageBySlug(ctx, "one")
		if err != nil {
			t.Fatal(err)
		}
		if (next.Revision > after.Revision) != tt.moves {
			t.Errorf("a change of %s: revision %d, was %d", tt.service, next.Revision, after.Revision)
		}
		after = next
	}
	domains, err := st.CustomDomains(ctx)
	if err != nil || len(domains) != 0 {
		t.Errorf("custom domains %v, %v; want none", domains, err)
	}
	if err := st.DeletePage(ctx, "org_2", p.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("delete by another organisation: %v", err)
	}
	if err := st.DeletePage(ctx, "org_1", p.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.PageBySlug(ctx, "one"); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("a deleted page: %v", err)
	}
}

// A service's deletion takes its components off the pages; an older
// event changes nothing of a newer state.
func TestServiceEventsByVersion(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newStore(t)
	p, err := st.CreatePage(ctx, domain.Page{OrgID: "org_1", Name: "One", Slug: "one", CreatedAt: t0,
		Components: []domain.Component{{ServiceID: "svc_a"}, {ServiceID: "svc_b"}}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := st.ApplyServices(ctx, t0,
		domain.ServiceEvent{OrgID: "org_1", ServiceID: "svc_a", Version: 3, Named: true, Name: "Renamed"},
		domain.ServiceEvent{OrgID: "org_1", ServiceID: "svc_a", Version: 2, Named: true, Name: "Older name"},
		domain.ServiceEvent{OrgID: "org_1", ServiceID: "svc_b", Version: 2, Deleted: true},
	)
	if err != nil {
		t.Fatal(err)
	}
	if res.Applied != 3 || res.Stale != 0 {
		t.Errorf("result %+v: the batch is applied in version order", res)
	}
	res, err = st.ApplyServices(ctx, t0, domain.ServiceEvent{OrgID: "org_1", ServiceID: "svc_a", Version: 2, Named: true, Name: "Older name"})
	if err != nil || res.Stale != 1 {
		t.Errorf("an old event again: %+v, %v; want stale", res, err)
	}
	got, err := st.GetPage(ctx, "org_1", p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Components) != 1 || got.Components[0].Name != "Renamed" {
		t.Errorf("components %+v, want svc_a alone, renamed", got.Components)
	}
}
