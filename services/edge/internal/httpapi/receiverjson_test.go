package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/upstatehq/upstate/pkg/httpx"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
)

func TestSeverityNames(t *testing.T) {
	tests := []struct {
		in   string
		want statusv1.Severity
	}{
		{"minor", statusv1.Severity_SEVERITY_MINOR},
		{"major", statusv1.Severity_SEVERITY_MAJOR},
		{"critical", statusv1.Severity_SEVERITY_CRITICAL},
		{" Critical ", statusv1.Severity_SEVERITY_CRITICAL},
		{"MINOR", statusv1.Severity_SEVERITY_MINOR},
	}
	for _, tt := range tests {
		got, err := parseSeverity("severity", tt.in)
		if err != nil || got != tt.want {
			t.Errorf("parseSeverity(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
		if name := severityName(got); name != strings.ToLower(strings.TrimSpace(tt.in)) {
			t.Errorf("severityName(%v) = %q", got, name)
		}
	}
	for _, bad := range []string{"", "high", "SEVERITY_MAJOR", "2"} {
		_, err := parseSeverity("auto_incident.severity", bad)
		assertHTTPError(t, err, http.StatusUnprocessableEntity, "auto_incident.severity")
		assertHTTPError(t, err, http.StatusUnprocessableEntity, "minor, major, critical")
	}
	if got := severityName(statusv1.Severity_SEVERITY_UNSPECIFIED); got != "major" {
		t.Errorf("unspecified severity is shown as %q, want the default major", got)
	}
}

func TestToReceiverJSON(t *testing.T) {
	created := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	r := &statusv1.Receiver{
		Id: "whr_1", OrgId: "org_1", Name: "Grafana", Enabled: true, ServiceId: "svc_1",
		StatusField: "state", MessageField: "message", StatusMapping: map[string]string{"alerting": "down"},
		Signature:    &statusv1.Signature{Secret: "never shown", Header: "X-Grafana-Signature", Scheme: "sha256="},
		AutoIncident: &statusv1.AutoIncident{Enabled: true, Severity: statusv1.Severity_SEVERITY_CRITICAL},
		TokenPrefix:  "3f9a1c2b", CreatedAt: timestamppb.New(created), UpdatedAt: timestamppb.New(created.Add(time.Hour)),
	}
	want := `{"id":"whr_1","name":"Grafana","enabled":true,"service_id":"svc_1","service_name_field":null,` +
		`"status_field":"state","message_field":"message","status_mapping":{"alerting":"down"},` +
		`"signature":{"header":"X-Grafana-Signature","scheme":"sha256=","secret_set":true},` +
		`"auto_incident":{"enabled":true,"severity":"critical"},"token_prefix":"3f9a1c2b",` +
		`"created_at":"2026-11-20T09:00:00Z","updated_at":"2026-11-20T10:00:00Z"}`
	if got := marshal(t, toReceiverJSON(r)); got != want {
		t.Errorf("receiver JSON\n got: %s\nwant: %s", got, want)
	}

	// The other target, no signature, no mapping.
	r = &statusv1.Receiver{Id: "whr_2", ServiceNameField: "component.name", CreatedAt: timestamppb.New(created), UpdatedAt: timestamppb.New(created)}
	got := marshal(t, toReceiverJSON(r))
	for _, part := range []string{`"service_id":null`, `"service_name_field":"component.name"`, `"status_mapping":{}`, `"signature":null`, `"severity":"major"`} {
		if !strings.Contains(got, part) {
			t.Errorf("receiver JSON %s lacks %s", got, part)
		}
	}
	for _, absent := range []string{"secret\"", "token\"", "url\"", "org_id"} {
		if strings.Contains(got, absent) {
			t.Errorf("receiver JSON %s has %s", got, absent)
		}
	}
}

func TestCreateReceiverBody(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    *statusv1.ReceiverSpec
		status  int    // of the error, when one is wanted
		message string // part of the error message
	}{
		{
			name: "minimal: enabled by default, the rest left to the status service",
			body: `{"name":"Grafana","service_id":"svc_1"}`,
			want: &statusv1.ReceiverSpec{Name: "Grafana", Enabled: true, ServiceId: "svc_1"},
		},
		{
			name: "full",
			body: `{"name":"Statuspage","enabled":false,"service_name_field":"component.name","status_field":"component.status",
				"message_field":"incident.name","status_mapping":{"major_outage":"down"},
				"signature":{"secret":"s3cret","header":"X-Sig","scheme":"base64"},
				"auto_incident":{"enabled":true,"severity":"Minor"}}`,
			want: &statusv1.ReceiverSpec{
				Name: "Statuspage", ServiceNameField: "component.name", StatusField: "component.status",
				MessageField: "incident.name", StatusMapping: map[string]string{"major_outage": "down"},
				Signature:    &statusv1.Signature{Secret: "s3cret", Header: "X-Sig", Scheme: "base64"},
				AutoIncident: &statusv1.AutoIncident{Enabled: true, Severity: statusv1.Severity_SEVERITY_MINOR},
			},
		},
		{
			name: "null target and signature are absent",
			body: `{"name":"x","service_id":null,"service_name_field":"svc","signature":null}`,
			want: &statusv1.ReceiverSpec{Name: "x", Enabled: true, ServiceNameField: "svc"},
		},
		{name: "bad severity", body: `{"name":"x","auto_incident":{"severity":"huge"}}`, status: 422, message: "minor, major, critical"},
		{name: "unknown field", body: `{"name":"x","colour":"red"}`, status: 400, message: "colour"},
		{name: "unknown signature field", body: `{"name":"x","signature":{"secret":"s","algo":"md5"}}`, status: 400, message: "algo"},
		{name: "mapping of a number", body: `{"name":"x","status_mapping":{"up":1}}`, status: 422, message: "status_mapping"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body createReceiverBody
			err := decodeBody(t, tt.body, &body)
			var spec *statusv1.ReceiverSpec
			if err == nil {
				spec, err = body.spec()
			}
			if tt.status != 0 {
				assertHTTPError(t, err, tt.status, tt.message)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !proto.Equal(spec, tt.want) {
				t.Errorf("spec = %v, want %v", spec, tt.want)
			}
		})
	}
}

func TestUpdateReceiverBody(t *testing.T) {
	tests := []struct {
		name      string
		body      string
		wantPaths []string
		want      *statusv1.ReceiverSpec
		status    int
		message   string
	}{
		{
			name: "rename", body: `{"name":"New"}`,
			wantPaths: []string{"name"}, want: &statusv1.ReceiverSpec{Name: "New"},
		},
		{
			name: "disable", body: `{"enabled":false}`,
			wantPaths: []string{"enabled"}, want: &statusv1.ReceiverSpec{},
		},
		{
			name: "remove the signature", body: `{"signature":null}`,
			wantPaths: []string{"signature"}, want: &statusv1.ReceiverSpec{},
		},
		{
			name: "change the signature header, keeping the secret", body: `{"signature":{"header":"X-Hub-Signature-256","scheme":"sha256="}}`,
			wantPaths: []string{"signature"},
			want:      &statusv1.ReceiverSpec{Signature: &statusv1.Signature{Header: "X-Hub-Signature-256", Scheme: "sha256="}},
		},
		{
			name: "switch the target; paths in spec order", body: `{"service_name_field":"service","service_id":null,"name":"x"}`,
			wantPaths: []string{"name", "service_id", "service_name_field"},
			want:      &statusv1.ReceiverSpec{Name: "x", ServiceNameField: "service"},
		},
		{
			name: "everything",
			body: `{"auto_incident":{"enabled":true,"severity":"critical"},"status_mapping":{},"message_field":"m","status_field":"s",
				"service_id":"svc_1","enabled":true,"name":"n","signature":{"secret":"k"},"service_name_field":""}`,
			wantPaths: []string{"name", "enabled", "service_id", "service_name_field", "status_field", "message_field", "status_mapping", "signature", "auto_incident"},
			want: &statusv1.ReceiverSpec{
				Name: "n", Enabled: true, ServiceId: "svc_1", StatusField: "s", MessageField: "m", StatusMapping: map[string]string{},
				Signature:    &statusv1.Signature{Secret: "k"},
				AutoIncident: &statusv1.AutoIncident{Enabled: true, Severity: statusv1.Severity_SEVERITY_CRITICAL},
			},
		},
		{name: "nothing to change", body: `{}`, status: 422, message: "at least one"},
		{name: "null name", body: `{"name":null}`, status: 422, message: "name cannot be null"},
		{name: "null mapping", body: `{"status_mapping":null}`, status: 422, message: "status_mapping cannot be null"},
		{name: "bad severity", body: `{"auto_incident":{"severity":"low"}}`, status: 422, message: "minor, major, critical"},
		{name: "wrong type", body: `{"enabled":"yes"}`, status: 422, message: "enabled must be a boolean"},
		{name: "wrong nested type", body: `{"signature":{"header":7}}`, status: 422, message: "signature.header must be a string"},
		{name: "unknown field", body: `{"token":"abc"}`, status: 400, message: "token"},
		{name: "unknown nested field", body: `{"auto_incident":{"level":"major"}}`, status: 400, message: "level"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body updateReceiverBody
			err := decodeBody(t, tt.body, &body)
			var (
				spec  *statusv1.ReceiverSpec
				paths []string
			)
			if err == nil {
				spec, paths, err = body.update()
			}
			if tt.status != 0 {
				assertHTTPError(t, err, tt.status, tt.message)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(paths, tt.wantPaths) {
				t.Errorf("update_paths = %v, want %v", paths, tt.wantPaths)
			}
			if !proto.Equal(spec, tt.want) {
				t.Errorf("spec = %v, want %v", spec, tt.want)
			}
		})
	}
}

func TestUpdatableFieldsMatchReceiverSpec(t *testing.T) {
	var names []string
	fields := (&statusv1.ReceiverSpec{}).ProtoReflect().Descriptor().Fields()
	for i := range fields.Len() {
		names = append(names, string(fields.Get(i).Name()))
	}
	if got := strings.Join(names, ", "); got != updatableFields {
		t.Errorf("ReceiverSpec fields are %s; updatableFields (and updateReceiverBody) say %s", got, updatableFields)
	}
}

func TestToDeliveryJSON(t *testing.T) {
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	d := &statusv1.Delivery{
		Id: "dlv_1", ReceiverId: "whr_1", ReceivedAt: timestamppb.New(at), SourceIp: "203.0.113.7",
		Payload: []byte(`{"status": "down", "n": [1, 2]}`), Result: statusv1.DeliveryResult_DELIVERY_RESULT_PROCESSED,
		RawStatus: "down", MappedStatus: statusv1.Status_STATUS_DOWN, PreviousStatus: statusv1.Status_STATUS_OPERATIONAL,
		NewStatus: statusv1.Status_STATUS_DOWN, ServiceId: "svc_1",
	}
	want := `{"id":"dlv_1","received_at":"2026-11-23T10:00:00Z","source_ip":"203.0.113.7",` +
		`"payload":{"status":"down","n":[1,2]},"payload_truncated":false,"result":"processed","error":"",` +
		`"raw_status":"down","mapped_status":"down","previous_status":"operational","new_status":"down","service_id":"svc_1"}`
	if got := marshal(t, toDeliveryJSON(d)); got != want {
		t.Errorf("delivery JSON\n got: %s\nwant: %s", got, want)
	}

	d = &statusv1.Delivery{Id: "dlv_2", Result: statusv1.DeliveryResult_DELIVERY_RESULT_AUTH_FAILED, Error: "signature mismatch"}
	got := marshal(t, toDeliveryJSON(d))
	for _, part := range []string{`"result":"auth_failed"`, `"mapped_status":""`, `"previous_status":""`, `"new_status":""`, `"payload":""`} {
		if !strings.Contains(got, part) {
			t.Errorf("delivery JSON %s lacks %s", got, part)
		}
	}
	for r, name := range map[statusv1.DeliveryResult]string{
		statusv1.DeliveryResult_DELIVERY_RESULT_IGNORED: "ignored", statusv1.DeliveryResult_DELIVERY_RESULT_FAILED: "failed",
	} {
		if got := toDeliveryJSON(&statusv1.Delivery{Result: r}).Result; got != name {
			t.Errorf("result %v = %q, want %q", r, got, name)
		}
	}
}

func TestPayloadJSON(t *testing.T) {
	tests := []struct {
		name    string
		payload string
		want    string // the JSON of the payload field
	}{
		{"object", `{"a": {"b": true}}`, `{"a":{"b":true}}`},
		{"array", ` [1, "two"] `, `[1,"two"]`},
		{"JSON string", `"down"`, `"down"`},
		{"truncated JSON", `{"status":"do`, `"{\"status\":\"do"`},
		{"form data", `status=down&x=<b>`, `"status=down\u0026x=\u003cb\u003e"`},
		{"empty", ``, `""`},
		{"JSON with invalid UTF-8", "{\"s\":\"\xff\"}", `"{\"s\":\"\ufffd\"}"`},
		{"HTML in JSON is escaped", `{"m":"<script>"}`, `{"m":"\u003cscript\u003e"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := marshal(t, payloadJSON([]byte(tt.payload)))
			if got != tt.want {
				t.Errorf("payload %q is shown as %s, want %s", tt.payload, got, tt.want)
			}
		})
	}
}

// decodeBody decodes body as a request of the REST API would be.
func decodeBody(t *testing.T, body string, v any) error {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	req.Header.Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
	return httpx.DecodeJSON(echo.New().NewContext(req, httptest.NewRecorder()), v)
}

func assertHTTPError(t *testing.T, err error, status int, message string) {
	t.Helper()
	var e *httpx.Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v, want an HTTP %d", err, status)
	}
	if e.Status != status || !strings.Contains(e.Message, message) {
		t.Errorf("error = %d %q, want %d mentioning %q", e.Status, e.Message, status, message)
	}
}

func marshal(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
