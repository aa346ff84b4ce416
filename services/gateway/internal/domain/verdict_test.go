package domain

import (
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/upstatehq/upstate/webhook"
)

const (
	processed = ResultProcessed
	ignoredR  = ResultIgnored
	failed    = ResultFailed
)

func TestInterpret(t *testing.T) {
	t.Parallel()
	fixed := ReceiverConfig{ID: "whr_1", ServiceID: "svc_1"}
	byName := ReceiverConfig{ID: "whr_2", ServiceNameField: "service", StatusField: "data.state", MessageField: "data.text",
		StatusMapping: map[string]string{"red": "down", "ok": "degraded"}}
	tests := []struct {
		name   string
		rcv    ReceiverConfig
		body   string
		want   Verdict
		reason string
	}{
		{"default fields", fixed, `{"status":"Under Maintenance","message":"patching"}`,
			Verdict{Result: processed, RawStatus: "Under Maintenance", Mapped: StatusMaintenance, Message: "patching"}, ""},
		{"number status", fixed, `{"status":200}`, Verdict{Result: ignoredR, RawStatus: "200"}, `status "200" is not mapped`},
		{"custom mapping wins", byName, `{"service":"API","data":{"state":"OK","text":"slow"}}`,
			Verdict{Result: processed, RawStatus: "OK", Mapped: StatusDegraded, ServiceName: "API", Message: "slow"}, ""},
		{"custom word", byName, `{"service":"API","data":{"state":"red"}}`,
			Verdict{Result: processed, RawStatus: "red", Mapped: StatusDown, ServiceName: "API"}, ""},
		{"service name missing", byName, `{"data":{"state":"red"}}`,
			Verdict{Result: ignoredR, RawStatus: "red"}, `service_name_field "service" not found`},
		{"service name not a string", byName, `{"service":{"a":1},"data":{"state":"red"}}`,
			Verdict{Result: ignoredR, RawStatus: "red"}, `service_name_field "service" not found`},
		{"status missing", fixed, `{"message":"hi"}`, Verdict{Result: ignoredR, Message: "hi"}, `status_field "status" not found`},
		{"status is an array", fixed, `{"status":[1,2]}`, Verdict{Result: ignoredR, RawStatus: "[1,2]"}, "not a string, number or boolean"},
		{"payload is an array", fixed, `[{"status":"up"}]`, Verdict{Result: ignoredR}, "not found"},
		{"not JSON", fixed, `status=up`, Verdict{Result: failed}, "not valid JSON"},
		{"empty body", fixed, ``, Verdict{Result: failed}, "not valid JSON"},
		{"trailing garbage", fixed, `{"status":"up"} x`, Verdict{Result: failed}, "not valid JSON"},
		{"no service at all", ReceiverConfig{ID: "whr_3"}, `{"status":"up"}`, Verdict{Result: ignoredR}, "neither a service_id"},
		{"invalid path", ReceiverConfig{ID: "whr_4", ServiceID: "svc", StatusField: "a."}, `{"status":"up"}`,
			Verdict{Result: ignoredR}, "receiver's status_field"},
		// Postgres text cannot hold NUL: the delivery log would refuse it.
		{"NUL in values", byName, `{"service":"A\u0000PI","data":{"state":"red","text":"db\u0000down"}}`,
			Verdict{Result: processed, RawStatus: "red", Mapped: StatusDown, ServiceName: "A\uFFFDPI", Message: "db\uFFFDdown"}, ""},
		{"NUL status", fixed, `{"status":"\u0000"}`, Verdict{Result: ignoredR, RawStatus: "\uFFFD"}, "not mapped"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Compile(tt.rcv).Interpret([]byte(tt.body))
			if !strings.Contains(got.Reason, tt.reason) || (tt.reason == "") != (got.Reason == "") {
				t.Fatalf("reason %q, want it to contain %q", got.Reason, tt.reason)
			}
			got.Reason = ""
			if got != tt.want {
				t.Fatalf("verdict %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestInterpretCapsValues(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", 10_000)
	got := Compile(ReceiverConfig{ServiceNameField: "s"}).Interpret([]byte(`{"status":"` + long + `","s":"` + long + `","message":"` + long + `"}`))
	for name, v := range map[string]string{"raw": got.RawStatus, "service": got.ServiceName, "message": got.Message} {
		if len(v) > maxMessage || !utf8.ValidString(v) {
			t.Errorf("%s: %d bytes, valid UTF-8 %v", name, len(v), utf8.ValidString(v))
		}
	}
}

func TestAuthenticate(t *testing.T) {
	t.Parallel()
	body := []byte(`{"status":"up"}`)
	now := time.Now()
	signed := Compile(ReceiverConfig{Signature: &webhook.Signature{Secret: "k", Scheme: "base64", Header: "x-sig"}})
	h := http.Header{}
	if err := webhook.Sign(webhook.Signature{Secret: "k", Scheme: webhook.SchemeBase64, Header: "X-Sig"}, h, body, now); err != nil {
		t.Fatal(err)
	}
	if err := signed.Authenticate(h, body, now); err != nil {
		t.Fatalf("valid signature refused: %v", err)
	}
	if err := signed.Authenticate(h, append(body, ' '), now); err == nil {
		t.Fatal("signature of another body accepted")
	}
	if err := signed.Authenticate(http.Header{}, body, now); err == nil {
		t.Fatal("missing signature accepted")
	}
	if err := Compile(ReceiverConfig{}).Authenticate(http.Header{}, body, now); err != nil {
		t.Fatalf("unsigned receiver: %v", err)
	}
	// A signature requirement without a secret fails closed.
	if err := Compile(ReceiverConfig{Signature: &webhook.Signature{}}).Authenticate(http.Header{}, body, now); err == nil {
		t.Fatal("signature requirement without a secret accepted an unsigned delivery")
	}
}

func FuzzInterpret(f *testing.F) {
	f.Add([]byte(`{"status":"up","message":"ok","svc":"a"}`), "status", "svc")
	f.Add([]byte(`{"a":[{"b":null}]}`), "a.0.b", "a")
	f.Add([]byte(`[1,2,3]`), "0", "1")
	f.Fuzz(func(t *testing.T, body []byte, statusField, serviceField string) {
		v := Compile(ReceiverConfig{StatusField: statusField, ServiceNameField: serviceField}).Interpret(body)
		switch v.Result {
		case processed:
			if v.Mapped == "" || v.Reason != "" {
				t.Fatalf("processed without a status or with a reason: %+v", v)
			}
		case ignoredR, failed:
			if v.Reason == "" || v.Mapped != "" {
				t.Fatalf("%v without a reason or with a status: %+v", v.Result, v)
			}
		default:
			t.Fatalf("result %v", v.Result)
		}
		if len(v.RawStatus) > maxRawStatus || len(v.ServiceName) > maxServiceName || len(v.Message) > maxMessage {
			t.Fatalf("uncapped value: %+v", v)
		}
	})
}
