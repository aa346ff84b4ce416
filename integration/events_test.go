package integration

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/testenv"
	incidentsv1 "github.com/upstatehq/upstate/proto/gen/upstate/incidents/v1"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
)

// checkEvent checks the subject and CloudEvents headers of an event of
// record id at version.
func checkEvent(t *testing.T, msg jetstream.Msg, subject, id string, version int64, source string) {
	t.Helper()
	if msg.Subject() != subject {
		t.Errorf("%s on %s, want %s", msg.Headers().Get(bus.HeaderCEType), msg.Subject(), subject)
	}
	want := fmt.Sprintf("%s:%d", id, version)
	h := msg.Headers()
	if h.Get("Nats-Msg-Id") != want || h.Get(bus.HeaderCEID) != want || h.Get(bus.HeaderCESource) != source ||
		h.Get(bus.HeaderCETime) == "" || h.Get(bus.HeaderCESpecVersion) != bus.CESpecVersion {
		t.Errorf("%s headers = %v, want id %s from %s", h.Get(bus.HeaderCEType), h, want, source)
	}
}

// Creating, renaming, re-describing, reporting on and deleting a service
// through the REST API publishes exactly one event each on STATUS, on the
// service's subject, in one version sequence; an edit that changes nothing
// publishes nothing. The incidents service's consumer takes them all
// without dead-lettering any.
func TestServiceLifecycleEvents(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	w := s.watchStatus()

	r := s.do(http.MethodPost, "/api/v1/services", bootstrapKey,
		map[string]any{"name": "Payments", "description": "Card payments", "status": "degraded"})
	if r.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	id, org := r.json(t)["id"].(string), r.json(t)["org_id"].(string)
	subject := bus.StatusSubject(org, id)
	var created statusv1.ServiceCreated
	checkEvent(t, w.nextOf(&created), subject, id, 1, "upstate/status")
	if svc := created.GetService(); svc.GetId() != id || svc.GetOrgId() != org || svc.GetName() != "Payments" ||
		svc.GetDescription() != "Card payments" || svc.GetStatus() != statusv1.Status_STATUS_DEGRADED ||
		svc.GetVersion() != 1 || svc.GetStatusVersion() != 1 {
		t.Fatalf("ServiceCreated = %v", &created)
	}

	patch := func(body map[string]any, wantVersion int) {
		t.Helper()
		r := s.do(http.MethodPatch, "/api/v1/services/"+id, bootstrapKey, body)
		if r.Status != http.StatusOK || r.json(t)["version"] != float64(wantVersion) {
			t.Fatalf("PATCH %v: %d %s, want version %d", body, r.Status, r.Body, wantVersion)
		}
	}
	patch(map[string]any{"name": "Card payments"}, 2)
	var updated statusv1.ServiceUpdated
	checkEvent(t, w.nextOf(&updated), subject, id, 2, "upstate/status")
	if svc := updated.GetService(); svc.GetName() != "Card payments" || svc.GetDescription() != "Card payments" ||
		svc.GetStatus() != statusv1.Status_STATUS_DEGRADED || svc.GetVersion() != 2 {
		t.Fatalf("ServiceUpdated = %v", &updated)
	}
	patch(map[string]any{"name": "Card payments", "description": "Card payments"}, 2) // changes nothing
	w.none(300 * time.Millisecond)
	patch(map[string]any{"description": "Cards and wallets"}, 3)
	checkEvent(t, w.nextOf(&updated), subject, id, 3, "upstate/status")
	if svc := updated.GetService(); svc.GetName() != "Card payments" || svc.GetDescription() != "Cards and wallets" || svc.GetVersion() != 3 {
		t.Fatalf("ServiceUpdated = %v", &updated)
	}

	s.setStatus(id, "operational", "")
	ev, msg := w.next()
	checkEvent(t, msg, subject, id, 4, "upstate/status")
	if ev.GetPrevious() != statusv1.Status_STATUS_DEGRADED || ev.GetStatus() != statusv1.Status_STATUS_OPERATIONAL ||
		ev.GetVersion() != 4 || ev.GetServiceName() != "Card payments" {
		t.Fatalf("StatusChanged = %v", ev)
	}

	if r := s.do(http.MethodDelete, "/api/v1/services/"+id, bootstrapKey, nil); r.Status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	var deleted statusv1.ServiceDeleted
	checkEvent(t, w.nextOf(&deleted), subject, id, 5, "upstate/status")
	if deleted.GetOrgId() != org || deleted.GetServiceId() != id || deleted.GetServiceName() != "Card payments" ||
		deleted.GetVersion() != 5 || deleted.GetDeletedAt() == nil {
		t.Fatalf("ServiceDeleted = %v", &deleted)
	}
	if r := s.do(http.MethodDelete, "/api/v1/services/"+id, bootstrapKey, nil); r.Status != http.StatusNotFound {
		t.Fatalf("delete again: %d %s", r.Status, r.Body)
	}
	w.none(300 * time.Millisecond)

	// The incidents service's consumer acknowledged every event, and
	// dead-lettered none.
	ctx := context.Background()
	testenv.Eventually(t, 10*time.Second, func() error {
		cons, err := s.js.Consumer(ctx, bus.StreamStatus, "incidents-status")
		if err != nil {
			return err
		}
		info, err := cons.Info(ctx)
		if err != nil {
			return err
		}
		if info.NumPending != 0 || info.NumAckPending != 0 || info.NumRedelivered != 0 {
			return fmt.Errorf("incidents-status: %d pending, %d unacknowledged, %d redelivered",
				info.NumPending, info.NumAckPending, info.NumRedelivered)
		}
		return nil
	})
	dlq, err := s.js.Stream(ctx, bus.StreamDLQ)
	if err != nil {
		t.Fatal(err)
	}
	info, err := dlq.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 0 {
		t.Fatalf("%d dead letters", info.State.Msgs)
	}
}

// Scheduling, changing and cancelling a window through the REST API
// publishes exactly one event each on INCIDENTS, on the window's subject,
// carrying the window: what a status page needs to announce it.
func TestMaintenanceLifecycleEvents(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	org := s.bootstrapOrg()
	svc := s.createService(bootstrapKey, "Search")
	w := testenv.Watch(t, s.js, bus.StreamIncidents)
	next := func(m proto.Message) jetstream.Msg {
		t.Helper()
		msg := w.Next(10 * time.Second)
		if got, want := msg.Headers().Get(bus.HeaderCEType), string(m.ProtoReflect().Descriptor().FullName()); got != want {
			t.Fatalf("next event is a %s, want a %s", got, want)
		}
		if err := proto.Unmarshal(msg.Data(), m); err != nil {
			t.Fatal(err)
		}
		return msg
	}

	start := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	created := s.scheduleMaintenance([]string{svc}, start, start.Add(time.Hour))
	id := created["id"].(string)
	subject := bus.IncidentsSubject(org, id)
	var scheduled incidentsv1.MaintenanceScheduled
	checkEvent(t, next(&scheduled), subject, id, 1, "upstate/incidents")
	if m := scheduled.GetMaintenance(); m.GetId() != id || m.GetOrgId() != org || m.GetTitle() != "Database upgrade" ||
		m.GetStatus() != incidentsv1.MaintenanceStatus_MAINTENANCE_STATUS_SCHEDULED || !m.GetStartsAt().AsTime().Equal(start) ||
		len(m.GetServiceIds()) != 1 || m.GetServiceIds()[0] != svc || m.GetVersion() != 1 {
		t.Fatalf("MaintenanceScheduled = %v", &scheduled)
	}

	patch := func(body map[string]any) {
		t.Helper()
		if r := s.do(http.MethodPatch, "/api/v1/maintenances/"+id, bootstrapKey, body); r.Status != http.StatusOK {
			t.Fatalf("PATCH %v: %d %s", body, r.Status, r.Body)
		}
	}
	later := start.Add(30 * time.Minute)
	patch(map[string]any{"title": "Search reindex", "starts_at": later.Format(time.RFC3339)})
	var updated incidentsv1.MaintenanceUpdated
	checkEvent(t, next(&updated), subject, id, 2, "upstate/incidents")
	if m := updated.GetMaintenance(); m.GetTitle() != "Search reindex" || !m.GetStartsAt().AsTime().Equal(later) ||
		m.GetStatus() != incidentsv1.MaintenanceStatus_MAINTENANCE_STATUS_SCHEDULED || m.GetVersion() != 2 {
		t.Fatalf("MaintenanceUpdated = %v", &updated)
	}
	patch(map[string]any{"title": "Search reindex"}) // changes nothing
	w.None(300 * time.Millisecond)

	if r := s.do(http.MethodDelete, "/api/v1/maintenances/"+id, bootstrapKey, nil); r.Status != http.StatusOK {
		t.Fatalf("cancel: %d %s", r.Status, r.Body)
	}
	var cancelled incidentsv1.MaintenanceCancelled
	checkEvent(t, next(&cancelled), subject, id, 3, "upstate/incidents")
	if m := cancelled.GetMaintenance(); m.GetStatus() != incidentsv1.MaintenanceStatus_MAINTENANCE_STATUS_CANCELLED ||
		m.GetEndedAt() == nil || m.GetStartedAt() != nil || m.GetVersion() != 3 {
		t.Fatalf("MaintenanceCancelled = %v", &cancelled)
	}
	w.None(300 * time.Millisecond)
	if st, _ := s.statusOf(svc); st != "operational" {
		t.Fatalf("the service of a cancelled window is %s", st)
	}
}
