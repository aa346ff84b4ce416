package standalone

import (
	"testing"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/logging"
	alerting "github.com/upstatehq/upstate/services/alerting/app"
	gateway "github.com/upstatehq/upstate/services/gateway/app"
	incidents "github.com/upstatehq/upstate/services/incidents/app"
	sla "github.com/upstatehq/upstate/services/sla/app"
	status "github.com/upstatehq/upstate/services/status/app"
	statuspage "github.com/upstatehq/upstate/services/statuspage/app"
)

// Each service's user may read its consumer's lag, the age of the oldest
// message included.
func TestNATSServicesReadTheirConsumersLag(t *testing.T) {
	t.Parallel()
	s := startAuthServer(t)
	_, gatewayJS := s.service(t, gateway.Name, nil)
	_, statusJS := s.service(t, status.Name, nil)
	_, incidentsJS := s.service(t, incidents.Name, nil)
	_, slaJS := s.service(t, sla.Name, nil)
	_, alertingJS := s.service(t, alerting.Name, nil)
	_, statuspageJS := s.service(t, statuspage.Name, nil)
	publish(t, gatewayJS, bus.IngestSubject("org", "rcv"))
	publish(t, statusJS, bus.StatusSubject("org", "svc"))
	publish(t, incidentsJS, bus.IncidentsSubject("org", "mnt"))
	publish(t, slaJS, bus.SLASubject("org", "slo"))

	for _, tt := range []struct {
		unit, stream, durable, filter string
		js                            jetstream.JetStream
	}{
		{status.Name, bus.StreamIngest, statusDurable, bus.SubjectsIngest, statusJS},
		{incidents.Name, bus.StreamStatus, incidentsDurable, bus.SubjectsStatus, incidentsJS},
		{sla.Name, bus.StreamStatus, slaDurable, bus.SubjectsStatus, slaJS},
		{alerting.Name, bus.StreamStatus, alertingStatusDurable, bus.SubjectsStatus, alertingJS},
		{alerting.Name + " on incidents", bus.StreamIncidents, alertingIncidentsDurable, bus.SubjectsIncidents, alertingJS},
		{alerting.Name + " on sla", bus.StreamSLA, alertingSLODurable, bus.SubjectsSLA, alertingJS},
		{statuspage.Name, bus.StreamStatus, statuspage.StatusDurable, bus.SubjectsStatus, statuspageJS},
		{statuspage.Name + " on incidents", bus.StreamIncidents, statuspage.IncidentsDurable, bus.SubjectsIncidents, statuspageJS},
	} {
		t.Run(tt.unit, func(t *testing.T) {
			if _, err := tt.js.CreateOrUpdateConsumer(shortCtx(t), tt.stream, jetstream.ConsumerConfig{
				Durable: tt.durable, AckPolicy: jetstream.AckExplicitPolicy, FilterSubjects: []string{tt.filter},
			}); err != nil {
				t.Fatalf("create %s: %v", tt.durable, err)
			}
			reg := prometheus.NewRegistry()
			reg.MustRegister(bus.NewLagCollector(tt.js, tt.stream, tt.durable, logging.Discard()))
			families, err := reg.Gather()
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]float64{}
			for _, f := range families {
				m := f.GetMetric()[0]
				got[f.GetName()] = m.GetGauge().GetValue() + m.GetCounter().GetValue()
			}
			if got["upstate_consumer_lag_errors_total"] != 0 || got["upstate_consumer_pending_messages"] != 1 ||
				got["upstate_consumer_oldest_unacked_age_seconds"] <= 0 {
				t.Errorf("scraped %v; want no error, 1 pending and its age", got)
			}
		})
	}
}
