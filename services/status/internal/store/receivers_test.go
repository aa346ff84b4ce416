package store_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/upstatehq/upstate/pkg/ids"
	"github.com/upstatehq/upstate/pkg/pgdb"
	"github.com/upstatehq/upstate/services/status/internal/domain"
	"github.com/upstatehq/upstate/services/status/internal/events"
	"github.com/upstatehq/upstate/services/status/internal/store"
)

// newReceiver stores a receiver with the given settings and returns it and
// its token.
func newReceiver(t testing.TB, st *store.Store, org string, spec domain.ReceiverSpec) (domain.Receiver, string) {
	t.Helper()
	spec, err := spec.Normalize()
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	token := hex.EncodeToString(b)
	now := time.Now().UTC().Truncate(time.Microsecond)
	r := domain.Receiver{ReceiverSpec: spec, ID: ids.New(ids.Receiver), OrgID: org,
		TokenHash: domain.HashToken(token), TokenPrefix: domain.TokenPrefix(token), CreatedAt: now, UpdatedAt: now}
	if err := st.CreateReceiver(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	return r, token
}

func TestReceiverCRUDIsolatedByOrg(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	ctx := context.Background()
	svc := newService(t, st, "org_a", "API")
	r, _ := newReceiver(t, st, "org_a", domain.ReceiverSpec{
		Name: "CI", Enabled: true, ServiceID: svc.ID, StatusMapping: map[string]string{"red": "down"},
		Signature:    &domain.Signature{Secret: "s3cret", Scheme: "sha256="},
		AutoIncident: domain.AutoIncident{Enabled: true, Severity: domain.SeverityCritical},
	})

	got, err := st.GetReceiver(ctx, "org_a", r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "CI" || got.ServiceID != svc.ID || got.StatusMapping["red"] != "down" ||
		got.Signature == nil || got.Signature.Secret != "s3cret" || got.Signature.Scheme != "sha256=" ||
		got.AutoIncident != r.AutoIncident || !bytes.Equal(got.TokenHash, r.TokenHash) || !got.CreatedAt.Equal(r.CreatedAt) {
		t.Fatalf("stored receiver = %+v, want %+v", got, r)
	}
	r2, _ := newReceiver(t, st, "org_a", domain.ReceiverSpec{Name: "Monitor", ServiceNameField: "service"})
	newReceiver(t, st, "org_b", domain.ReceiverSpec{Name: "Other", ServiceNameField: "service"})

	list, err := st.ListReceivers(ctx, "org_a", "", 10)
	if err != nil || len(list) != 2 || list[0].ID != r.ID || list[1].ID != r2.ID {
		t.Fatalf("list = %+v, %v", list, err)
	}
	if list, err = st.ListReceivers(ctx, "org_a", r.ID, 10); err != nil || len(list) != 1 || list[0].ID != r2.ID {
		t.Fatalf("second page = %+v, %v", list, err)
	}

	updated, err := st.UpdateReceiver(ctx, "org_a", r.ID, func(cur domain.Receiver) (domain.Receiver, error) {
		cur.Name, cur.Signature = "Deploys", nil
		return cur, nil
	})
	if err != nil || updated.Name != "Deploys" {
		t.Fatalf("update = %+v, %v", updated, err)
	}
	if got, _ := st.GetReceiver(ctx, "org_a", r.ID); got.Name != "Deploys" || got.Signature != nil {
		t.Fatalf("after update = %+v", got)
	}
	refused := errors.New("refused")
	if _, err := st.UpdateReceiver(ctx, "org_a", r.ID, func(domain.Receiver) (domain.Receiver, error) { return domain.Receiver{}, refused }); !errors.Is(err, refused) {
		t.Fatalf("update error = %v, want the callback's", err)
	}

	// Another organisation sees none of it.
	if _, err := st.GetReceiver(ctx, "org_b", r.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("get from org_b: %v", err)
	}
	if _, err := st.UpdateReceiver(ctx, "org_b", r.ID, func(cur domain.Receiver) (domain.Receiver, error) { return cur, nil }); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("update from org_b: %v", err)
	}
	if _, err := st.RotateToken(ctx, "org_b", r.ID, []byte("h"), "p", time.Now()); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("rotate from org_b: %v", err)
	}
	if _, err := st.ListDeliveries(ctx, "org_b", r.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("deliveries from org_b: %v", err)
	}
	if err := st.DeleteReceiver(ctx, "org_b", r.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("delete from org_b: %v", err)
	}
	if err := st.DeleteReceiver(ctx, "org_a", r.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.GetReceiver(ctx, "org_a", r.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("get after delete: %v", err)
	}
	if err := st.DeleteReceiver(ctx, "org_a", r.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("second delete: %v", err)
	}
}

func TestReceiverServiceMustBeOfTheOrg(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	ctx := context.Background()
	other := newService(t, st, "org_b", "API")
	now := time.Now()
	spec, _ := domain.ReceiverSpec{Name: "CI", ServiceID: other.ID}.Normalize()
	r := domain.Receiver{ReceiverSpec: spec, ID: ids.New(ids.Receiver), OrgID: "org_a", TokenHash: []byte("h"), TokenPrefix: "p", CreatedAt: now, UpdatedAt: now}
	err := st.CreateReceiver(ctx, r)
	var verr *domain.ValidationError
	if !errors.As(err, &verr) || verr.Field != "service_id" || !errors.Is(err, domain.ErrUnknownService) {
		t.Fatalf("create with another org's service: %v", err)
	}

	own, _ := newReceiver(t, st, "org_a", domain.ReceiverSpec{Name: "CI", ServiceNameField: "service"})
	_, err = st.UpdateReceiver(ctx, "org_a", own.ID, func(cur domain.Receiver) (domain.Receiver, error) {
		cur.ServiceID, cur.ServiceNameField = other.ID, ""
		return cur, nil
	})
	if !errors.Is(err, domain.ErrUnknownService) {
		t.Fatalf("update to another org's service: %v", err)
	}
}

func TestDeletingServiceDetachesReceiver(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	ctx := context.Background()
	svc := newService(t, st, "org_a", "API")
	r, _ := newReceiver(t, st, "org_a", domain.ReceiverSpec{Name: "CI", ServiceID: svc.ID})
	if err := st.DeleteService(ctx, "org_a", svc.ID, time.Now(), events.ServiceDeleted); err != nil {
		t.Fatal(err)
	}
	got, err := st.GetReceiver(ctx, "org_a", r.ID)
	if err != nil || got.ServiceID != "" {
		t.Fatalf("receiver after its service was deleted = %+v, %v", got, err)
	}
}

func TestResolveReceiverAndRotateToken(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	ctx := context.Background()
	r, token := newReceiver(t, st, "org_a", domain.ReceiverSpec{Name: "CI", ServiceNameField: "service",
		Signature: &domain.Signature{Secret: "s3cret"}})

	got, err := st.ResolveReceiver(ctx, domain.HashToken(token))
	if err != nil || got.ID != r.ID || got.Signature == nil || got.Signature.Secret != "s3cret" {
		t.Fatalf("resolve = %+v, %v", got, err)
	}
	if _, err := st.ResolveReceiver(ctx, domain.HashToken(token+"x")); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("resolve unknown token: %v", err)
	}

	newToken := fmt.Sprintf("%064x", 42)
	rotated, err := st.RotateToken(ctx, "org_a", r.ID, domain.HashToken(newToken), domain.TokenPrefix(newToken), time.Now())
	if err != nil || rotated.TokenPrefix != domain.TokenPrefix(newToken) {
		t.Fatalf("rotate = %+v, %v", rotated, err)
	}
	if _, err := st.ResolveReceiver(ctx, domain.HashToken(token)); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("old token after rotation: %v, want ErrNotFound", err)
	}
	if got, err := st.ResolveReceiver(ctx, domain.HashToken(newToken)); err != nil || got.ID != r.ID {
		t.Fatalf("new token = %+v, %v", got, err)
	}
}

func TestDeliveryLogKeepsNewest50(t *testing.T) {
	t.Parallel()
	st, count := newStore(t)
	ctx := context.Background()
	r, _ := newReceiver(t, st, "org_a", domain.ReceiverSpec{Name: "CI", ServiceNameField: "service"})
	other, _ := newReceiver(t, st, "org_a", domain.ReceiverSpec{Name: "Other", ServiceNameField: "service"})
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var want []string
	for i := range 60 {
		// The gateway's verdict "ignored" is logged as it is, through the
		// same transaction that applies processed deliveries.
		in := domain.Ingest{DeliveryID: fmt.Sprintf("dlv_%02d", i), OrgID: "org_a", ReceiverID: r.ID,
			ReceivedAt: t0.Add(time.Duration(i) * time.Second), Result: domain.Ignored, Error: "no status"}
		if i%7 == 0 {
			// Deliveries are ordered by when they were received, not by id
			// or by when they were recorded.
			in.DeliveryID = fmt.Sprintf("dlv_z%02d", i)
		}
		apply(t, st, in)
		want = append([]string{in.DeliveryID}, want...)
	}
	apply(t, st, domain.Ingest{DeliveryID: "dlv_other", OrgID: "org_a", ReceiverID: other.ID, ReceivedAt: t0, Result: domain.Failed})

	got, err := st.ListDeliveries(ctx, "org_a", r.ID)
	if err != nil {
		t.Fatal(err)
	}
	var gotIDs []string
	for _, d := range got {
		gotIDs = append(gotIDs, d.ID)
	}
	if fmt.Sprint(gotIDs) != fmt.Sprint(want[:50]) {
		t.Fatalf("log = %v\nwant %v", gotIDs, want[:50])
	}
	if n := count(`SELECT count(*) FROM status.deliveries`); n != 51 {
		t.Fatalf("%d rows, want 50 + 1 of the other receiver", n)
	}
	d, err := st.GetDelivery(ctx, "org_a", r.ID, want[0])
	if err != nil || d.Error != "no status" || d.Result != domain.Ignored || !d.ReceivedAt.Equal(t0.Add(59*time.Second)) {
		t.Fatalf("get = %+v, %v", d, err)
	}
	for _, c := range []struct{ org, receiver, id string }{
		{"org_a", r.ID, want[55]},    // pruned
		{"org_b", r.ID, want[0]},     // another organisation
		{"org_a", other.ID, want[0]}, // another receiver
	} {
		if _, err := st.GetDelivery(ctx, c.org, c.receiver, c.id); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("get %+v: %v, want ErrNotFound", c, err)
		}
	}
}

// Updating a receiver while its service is deleted locks the two rows in
// opposite orders; whichever Postgres aborts is retried, so neither call
// fails with a deadlock.
func TestUpdateReceiverRacingDeleteService(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	ctx := context.Background()
	for round := range 10 {
		s := newService(t, st, "org_a", fmt.Sprintf("svc %d", round))
		r, _ := newReceiver(t, st, "org_a", domain.ReceiverSpec{Name: "CI", Enabled: true, ServiceID: s.ID})
		var wg sync.WaitGroup
		var updateErr, deleteErr error
		wg.Go(func() {
			_, updateErr = st.UpdateReceiver(ctx, "org_a", r.ID, func(cur domain.Receiver) (domain.Receiver, error) {
				cur.Name = "renamed"
				return cur, nil
			})
		})
		wg.Go(func() { deleteErr = st.DeleteService(ctx, "org_a", s.ID, time.Now(), events.ServiceDeleted) })
		wg.Wait()
		for _, err := range []error{updateErr, deleteErr} {
			if pgdb.IsCode(err, "40P01") {
				t.Fatalf("round %d: %v", round, err)
			}
		}
		if deleteErr != nil {
			t.Fatalf("round %d: delete service: %v", round, deleteErr)
		}
	}
}
