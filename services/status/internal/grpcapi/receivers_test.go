package grpcapi_test

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/jonboulle/clockwork"
	"github.com/upstatehq/upstate/pkg/ids"
	"github.com/upstatehq/upstate/pkg/pgdb"
	"github.com/upstatehq/upstate/pkg/testenv"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	"github.com/upstatehq/upstate/services/status/internal/domain"
	"github.com/upstatehq/upstate/services/status/internal/events"
	"github.com/upstatehq/upstate/services/status/internal/grpcapi"
	"github.com/upstatehq/upstate/services/status/internal/store"
	"github.com/upstatehq/upstate/services/status/migrations"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// announced records the receiver ids the API announced.
type announced struct {
	mu  sync.Mutex
	ids []string
}

func (a *announced) add(id string) { a.mu.Lock(); a.ids = append(a.ids, id); a.mu.Unlock() }

func (a *announced) list() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.ids)
}

func newAPI(t *testing.T) (*grpcapi.Receivers, *store.Store, *announced) {
	t.Helper()
	pool := testenv.NewPool(t, testenv.NewDatabase(t))
	if err := pgdb.Migrate(context.Background(), pool, migrations.Schema, migrations.FS); err != nil {
		t.Fatal(err)
	}
	st := store.New(pool)
	a := &announced{}
	return grpcapi.NewReceivers(st, a.add, clockwork.NewRealClock()), st, a
}

func newService(t *testing.T, st *store.Store, org string) string {
	t.Helper()
	s := domain.NewService(ids.New(ids.Service), org, "API", "", domain.Operational, time.Now())
	if err := st.CreateService(context.Background(), s, events.ServiceCreated); err != nil {
		t.Fatal(err)
	}
	return s.ID
}

func wantCode(t *testing.T, err error, code codes.Code, msgPart string) {
	t.Helper()
	if status.Code(err) != code || !strings.Contains(status.Convert(err).Message(), msgPart) {
		t.Fatalf("error = %v, want %s mentioning %q", err, code, msgPart)
	}
}

var tokenPattern = regexp.MustCompile(`^[0-9a-f]{64}$`)

func TestReceiverTokensAndSecrets(t *testing.T) {
	t.Parallel()
	api, st, ann := newAPI(t)
	ctx := context.Background()
	svc := newService(t, st, "org_a")

	created, err := api.CreateReceiver(ctx, &statusv1.CreateReceiverRequest{OrgId: "org_a", Spec: &statusv1.ReceiverSpec{
		Name: "CI", Enabled: true, ServiceId: svc,
		Signature: &statusv1.Signature{Secret: "s3cret", Scheme: "sha256=", Header: "x-hub-signature-256"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	token, rec := created.GetToken(), created.GetReceiver()
	if !tokenPattern.MatchString(token) || rec.GetTokenPrefix() != token[:8] {
		t.Fatalf("token %q, prefix %q", token, rec.GetTokenPrefix())
	}
	if !strings.HasPrefix(rec.GetId(), "whr_") || rec.GetStatusField() != "status" || rec.GetMessageField() != "message" ||
		rec.GetAutoIncident().GetSeverity() != statusv1.Severity_SEVERITY_MAJOR {
		t.Fatalf("receiver = %v", rec)
	}
	sig := rec.GetSignature()
	if sig.GetSecret() != "" || sig.GetHeader() != "X-Hub-Signature-256" || sig.GetScheme() != "sha256=" {
		t.Fatalf("signature in create answer = %v, want header and scheme without secret", sig)
	}

	got, err := api.GetReceiver(ctx, &statusv1.GetReceiverRequest{OrgId: "org_a", ReceiverId: rec.GetId()})
	if err != nil || got.GetReceiver().GetSignature().GetSecret() != "" || got.GetReceiver().GetSignature().GetScheme() != "sha256=" {
		t.Fatalf("get = %v, %v", got, err)
	}
	list, err := api.ListReceivers(ctx, &statusv1.ListReceiversRequest{OrgId: "org_a"})
	if err != nil || len(list.GetReceivers()) != 1 || list.GetReceivers()[0].GetSignature().GetSecret() != "" {
		t.Fatalf("list = %v, %v", list, err)
	}

	resolved, err := api.ResolveReceiver(ctx, &statusv1.ResolveReceiverRequest{Token: token})
	if err != nil || resolved.GetReceiver().GetId() != rec.GetId() || resolved.GetReceiver().GetSignature().GetSecret() != "s3cret" {
		t.Fatalf("resolve = %v, %v", resolved, err)
	}
	for _, bad := range []string{"", "nope", strings.ToUpper(token), strings.Repeat("0", 64)} {
		_, err := api.ResolveReceiver(ctx, &statusv1.ResolveReceiverRequest{Token: bad})
		wantCode(t, err, codes.NotFound, "receiver not found")
	}

	rotated, err := api.RotateReceiverToken(ctx, &statusv1.RotateReceiverTokenRequest{OrgId: "org_a", ReceiverId: rec.GetId()})
	if err != nil || !tokenPattern.MatchString(rotated.GetToken()) || rotated.GetToken() == token ||
		rotated.GetReceiver().GetTokenPrefix() != rotated.GetToken()[:8] || rotated.GetReceiver().GetSignature().GetSecret() != "" {
		t.Fatalf("rotate = %v, %v", rotated, err)
	}
	_, err = api.ResolveReceiver(ctx, &statusv1.ResolveReceiverRequest{Token: token})
	wantCode(t, err, codes.NotFound, "receiver not found")
	if _, err := api.ResolveReceiver(ctx, &statusv1.ResolveReceiverRequest{Token: rotated.GetToken()}); err != nil {
		t.Fatalf("new token: %v", err)
	}

	// Editing the signature's header without its secret keeps the secret.
	upd, err := api.UpdateReceiver(ctx, &statusv1.UpdateReceiverRequest{OrgId: "org_a", ReceiverId: rec.GetId(),
		Spec: &statusv1.ReceiverSpec{Signature: &statusv1.Signature{Header: "X-Sig", Scheme: "hex"}}, UpdatePaths: []string{"signature"}})
	if err != nil || upd.GetReceiver().GetSignature().GetHeader() != "X-Sig" || upd.GetReceiver().GetSignature().GetSecret() != "" {
		t.Fatalf("update = %v, %v", upd, err)
	}
	resolved, err = api.ResolveReceiver(ctx, &statusv1.ResolveReceiverRequest{Token: rotated.GetToken()})
	if err != nil || resolved.GetReceiver().GetSignature().GetSecret() != "s3cret" {
		t.Fatalf("secret after update = %v, %v", resolved, err)
	}

	if _, err := api.DeleteReceiver(ctx, &statusv1.DeleteReceiverRequest{OrgId: "org_a", ReceiverId: rec.GetId()}); err != nil {
		t.Fatal(err)
	}
	id := rec.GetId()
	if got := ann.list(); !slices.Equal(got, []string{id, id, id}) {
		t.Fatalf("announced %v, want rotate, update and delete of %s (not create)", got, id)
	}
}

func TestReceiverErrors(t *testing.T) {
	t.Parallel()
	api, st, ann := newAPI(t)
	ctx := context.Background()
	svc := newService(t, st, "org_a")
	otherOrgSvc := newService(t, st, "org_b")
	create := func(org string, spec *statusv1.ReceiverSpec) error {
		_, err := api.CreateReceiver(ctx, &statusv1.CreateReceiverRequest{OrgId: org, Spec: spec})
		return err
	}

	wantCode(t, create("", &statusv1.ReceiverSpec{Name: "x", ServiceId: svc}), codes.InvalidArgument, "org_id")
	wantCode(t, create("org_a", &statusv1.ReceiverSpec{ServiceId: svc}), codes.InvalidArgument, "name")
	wantCode(t, create("org_a", &statusv1.ReceiverSpec{Name: "x"}), codes.InvalidArgument, "service_id")
	wantCode(t, create("org_a", &statusv1.ReceiverSpec{Name: "x", ServiceId: svc, StatusField: "a..b"}), codes.InvalidArgument, "status_field")
	wantCode(t, create("org_a", &statusv1.ReceiverSpec{Name: "x", ServiceId: svc, StatusMapping: map[string]string{"red": "on fire"}}), codes.InvalidArgument, "status_mapping")
	wantCode(t, create("org_a", &statusv1.ReceiverSpec{Name: "x", ServiceId: svc, Signature: &statusv1.Signature{Scheme: "hex"}}), codes.InvalidArgument, "signature")
	wantCode(t, create("org_a", &statusv1.ReceiverSpec{Name: "x", ServiceId: svc, AutoIncident: &statusv1.AutoIncident{Severity: 9}}), codes.InvalidArgument, "auto_incident.severity")
	wantCode(t, create("org_a", &statusv1.ReceiverSpec{Name: "x", ServiceId: otherOrgSvc}), codes.InvalidArgument, "service "+otherOrgSvc+" not found")
	if got := ann.list(); len(got) != 0 {
		t.Fatalf("refused creates announced %v", got)
	}

	created, err := api.CreateReceiver(ctx, &statusv1.CreateReceiverRequest{OrgId: "org_a", Spec: &statusv1.ReceiverSpec{Name: "x", ServiceId: svc}})
	if err != nil {
		t.Fatal(err)
	}
	id := created.GetReceiver().GetId()
	update := func(org string, spec *statusv1.ReceiverSpec, paths ...string) error {
		_, err := api.UpdateReceiver(ctx, &statusv1.UpdateReceiverRequest{OrgId: org, ReceiverId: id, Spec: spec, UpdatePaths: paths})
		return err
	}
	wantCode(t, update("org_a", &statusv1.ReceiverSpec{}), codes.InvalidArgument, "update_paths")
	wantCode(t, update("org_a", &statusv1.ReceiverSpec{}, "token_prefix"), codes.InvalidArgument, "update_paths")
	wantCode(t, update("org_a", &statusv1.ReceiverSpec{ServiceId: otherOrgSvc}, "service_id"), codes.InvalidArgument, "not found")
	wantCode(t, update("org_b", &statusv1.ReceiverSpec{Name: "y"}, "name"), codes.NotFound, "receiver not found")

	// Switching from a fixed service to a service named in the payload.
	upd, err := api.UpdateReceiver(ctx, &statusv1.UpdateReceiverRequest{OrgId: "org_a", ReceiverId: id,
		Spec: &statusv1.ReceiverSpec{ServiceNameField: "data.service"}, UpdatePaths: []string{"service_name_field"}})
	if err != nil || upd.GetReceiver().GetServiceId() != "" || upd.GetReceiver().GetServiceNameField() != "data.service" {
		t.Fatalf("update = %v, %v", upd, err)
	}

	_, err = api.GetReceiver(ctx, &statusv1.GetReceiverRequest{OrgId: "org_b", ReceiverId: id})
	wantCode(t, err, codes.NotFound, "receiver not found")
	_, err = api.RotateReceiverToken(ctx, &statusv1.RotateReceiverTokenRequest{OrgId: "org_b", ReceiverId: id})
	wantCode(t, err, codes.NotFound, "receiver not found")
	_, err = api.DeleteReceiver(ctx, &statusv1.DeleteReceiverRequest{OrgId: "org_b", ReceiverId: id})
	wantCode(t, err, codes.NotFound, "receiver not found")
	_, err = api.ListDeliveries(ctx, &statusv1.ListDeliveriesRequest{OrgId: "org_b", ReceiverId: id})
	wantCode(t, err, codes.NotFound, "receiver not found")
	_, err = api.GetDelivery(ctx, &statusv1.GetDeliveryRequest{OrgId: "org_a", ReceiverId: id, DeliveryId: "dlv_nope"})
	wantCode(t, err, codes.NotFound, "delivery not found")
	_, err = api.ListReceivers(ctx, &statusv1.ListReceiversRequest{OrgId: "org_a", PageSize: 500})
	wantCode(t, err, codes.InvalidArgument, "page_size")
	_, err = api.ListReceivers(ctx, &statusv1.ListReceiversRequest{OrgId: "org_a", PageToken: "%%%"})
	wantCode(t, err, codes.InvalidArgument, "page_token")
}

func TestListReceiversPages(t *testing.T) {
	t.Parallel()
	api, _, _ := newAPI(t)
	ctx := context.Background()
	var want []string
	for _, name := range []string{"a", "b", "c", "d", "e"} {
		r, err := api.CreateReceiver(ctx, &statusv1.CreateReceiverRequest{OrgId: "org_a", Spec: &statusv1.ReceiverSpec{Name: name, ServiceNameField: "service"}})
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, r.GetReceiver().GetName())
	}
	var got []string
	tok := ""
	for pages := 1; ; pages++ {
		resp, err := api.ListReceivers(ctx, &statusv1.ListReceiversRequest{OrgId: "org_a", PageSize: 2, PageToken: tok})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range resp.GetReceivers() {
			got = append(got, r.GetName())
		}
		if tok = resp.GetNextPageToken(); tok == "" {
			if pages != 3 {
				t.Errorf("%d pages, want 3", pages)
			}
			break
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("listed %v, want %v", got, want)
	}
	other, err := api.ListReceivers(ctx, &statusv1.ListReceiversRequest{OrgId: "org_b"})
	if err != nil || len(other.GetReceivers()) != 0 {
		t.Fatalf("org_b sees %v, %v", other, err)
	}
}
