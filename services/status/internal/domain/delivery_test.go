package domain

import (
	"strings"
	"testing"
	"time"
)

func TestPlanDelivery(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := t0.Add(time.Minute)
	fixed := Receiver{ID: "whr_1", OrgID: "org_a", ReceiverSpec: ReceiverSpec{
		Enabled: true, ServiceID: "svc_1", StatusField: "status",
		AutoIncident: AutoIncident{Enabled: true, Severity: SeverityCritical},
	}}
	byName := fixed
	byName.ServiceID, byName.ServiceNameField = "", "service"
	disabled := fixed
	disabled.Enabled = false
	orphaned := fixed
	orphaned.ServiceID = ""
	svc := &Service{ID: "svc_1", OrgID: "org_a", Name: "API", Status: Operational}
	processed := Ingest{
		DeliveryID: "dlv_1", OrgID: "org_a", ReceiverID: "whr_1", ReceivedAt: t0, SourceIP: "192.0.2.1",
		Payload: []byte(`{"status":"red"}`), Result: Processed, RawStatus: "red", MappedStatus: Down,
		ServiceName: "api", Message: "db down",
	}
	with := func(edit func(*Ingest)) Ingest {
		in := processed
		edit(&in)
		return in
	}

	tests := []struct {
		name      string
		in        Ingest
		r         Receiver
		svc       *Service
		result    DeliveryResult
		errSubstr string
		report    bool
	}{
		{"applied", processed, fixed, svc, Processed, "", true},
		{"applied by name", processed, byName, svc, Processed, "", true},
		{"gateway verdict kept", with(func(in *Ingest) { in.Result, in.Error = AuthFailed, "signature mismatch" }), fixed, svc, AuthFailed, "signature mismatch", false},
		{"disabled receiver", processed, disabled, svc, Ignored, "disabled", false},
		{"no status", with(func(in *Ingest) { in.RawStatus, in.MappedStatus = "", "" }), fixed, svc, Ignored, `no status at "status"`, false},
		{"unmapped status", with(func(in *Ingest) { in.MappedStatus = "" }), fixed, svc, Ignored, `"red" maps to no status`, false},
		{"fixed service missing", processed, fixed, nil, Ignored, "service svc_1 not found", false},
		{"no service of that name", processed, byName, nil, Ignored, `no service named "api"`, false},
		{"no service name in payload", with(func(in *Ingest) { in.ServiceName = " " }), byName, nil, Ignored, `no service name at "service"`, false},
		{"receiver without service", processed, orphaned, nil, Ignored, "no service", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, rep := PlanDelivery(tt.in, tt.r, tt.svc, at)
			if d.ID != tt.in.DeliveryID || d.ReceiverID != tt.r.ID || d.OrgID != tt.r.OrgID || !d.ReceivedAt.Equal(t0) || d.SourceIP != tt.in.SourceIP {
				t.Errorf("delivery does not describe the event: %+v", d)
			}
			if d.Result != tt.result || !strings.Contains(d.Error, tt.errSubstr) {
				t.Errorf("result = %s %q, want %s containing %q", d.Result, d.Error, tt.result, tt.errSubstr)
			}
			if (rep != nil) != tt.report {
				t.Fatalf("report = %+v, want one: %v", rep, tt.report)
			}
			if rep == nil {
				if d.PreviousStatus != "" || d.NewStatus != "" {
					t.Errorf("statuses %q → %q without a report", d.PreviousStatus, d.NewStatus)
				}
				return
			}
			if d.Error != "" || d.ServiceID != "svc_1" || d.PreviousStatus != Operational || d.NewStatus != Down {
				t.Errorf("delivery = %+v", d)
			}
			if rep.Status != Down || rep.Source != SourceWebhook || rep.Actor != "whr_1" || !rep.At.Equal(at) ||
				rep.Description == nil || *rep.Description != "db down" {
				t.Errorf("report = %+v", rep)
			}
			want := WebhookCause{ReceiverID: "whr_1", DeliveryID: "dlv_1", AutoIncident: fixed.AutoIncident}
			if rep.Webhook == nil || *rep.Webhook != want {
				t.Errorf("cause = %+v, want %+v", rep.Webhook, want)
			}
		})
	}
}

func TestPlanDeliveryMessage(t *testing.T) {
	r := Receiver{ID: "whr_1", ReceiverSpec: ReceiverSpec{Enabled: true, ServiceID: "svc_1"}}
	svc := &Service{ID: "svc_1", Status: Operational}
	in := Ingest{DeliveryID: "dlv_1", Result: Processed, MappedStatus: Down}

	if _, rep := PlanDelivery(in, r, svc, time.Now()); rep.Description != nil {
		t.Errorf("no message gave description %q; want none, which keeps the current one", *rep.Description)
	}
	in.Message = strings.Repeat("é", MaxDescriptionLen+10)
	_, rep := PlanDelivery(in, r, svc, time.Now())
	if got := *rep.Description; got != strings.Repeat("é", MaxDescriptionLen) {
		t.Errorf("long message kept as %d bytes, want %d runes", len(got), MaxDescriptionLen)
	}

	// The change a report makes carries its cause.
	_, ch, _ := Apply(*svc, *rep)
	if ch == nil || ch.Webhook == nil || ch.Webhook.DeliveryID != "dlv_1" {
		t.Errorf("change = %+v", ch)
	}
}

func TestSuperseded(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	oldest := Delivery{ID: "dlv_5", ReceivedAt: t0}
	tests := []struct {
		at   time.Time
		id   string
		want bool
	}{
		{t0.Add(-time.Millisecond), "dlv_9", true},
		{t0, "dlv_4", true},
		{t0, "dlv_6", false},
		{t0.Add(time.Millisecond), "dlv_1", false},
	}
	for _, tt := range tests {
		if got := Superseded(Ingest{DeliveryID: tt.id, ReceivedAt: tt.at}, oldest); got != tt.want {
			t.Errorf("Superseded(%s at %s) = %v, want %v", tt.id, tt.at, got, tt.want)
		}
	}
}

func TestAppliedOrder(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	applied := Applied{ReceiverID: "whr_1", ServiceID: "svc_1", DeliveryID: "dlv_5", ReceivedAt: t0}
	tests := []struct {
		name string
		at   time.Time
		id   string
		want Order
	}{
		{"newer", t0.Add(time.Millisecond), "dlv_1", InOrder},
		{"same time, later id", t0, "dlv_6", InOrder},
		{"older", t0.Add(-time.Millisecond), "dlv_9", OutOfOrder},
		{"same time, earlier id", t0, "dlv_4", OutOfOrder},
		{"same delivery", t0, "dlv_5", Repeated},
		// A copy given a new time by a sender's retry is still the same
		// delivery.
		{"same delivery received again", t0.Add(time.Hour), "dlv_5", Repeated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := applied.Order(Ingest{DeliveryID: tt.id, ReceivedAt: tt.at}); got != tt.want {
				t.Errorf("Order(%s at %s) = %d, want %d", tt.id, tt.at, got, tt.want)
			}
		})
	}
}

func TestIngestCheck(t *testing.T) {
	ok := Ingest{DeliveryID: "dlv_1", OrgID: "org_a", ReceiverID: "whr_1", Result: Ignored}
	if err := ok.Check(); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []Ingest{
		{OrgID: "org_a", ReceiverID: "whr_1", Result: Processed},
		{DeliveryID: "dlv_1", ReceiverID: "whr_1", Result: Processed},
		{DeliveryID: "dlv_1", OrgID: "org_a", ReceiverID: "whr_1"},
		{DeliveryID: "dlv_1", OrgID: "org_a", ReceiverID: "whr_1", Result: "7"},
	} {
		if err := bad.Check(); err == nil {
			t.Errorf("Check(%+v) = nil", bad)
		}
	}
}
