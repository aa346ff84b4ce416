package config

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

type inner struct {
	Rate float64 `env:"T_RATE" envDefault:"2.5" doc:"a {rate}"`
}

type sample struct {
	Common
	Name    string        `env:"T_NAME" doc:"the name"`
	Timeout time.Duration `env:"T_TIMEOUT" envDefault:"5s" doc:"how long"`
	Inner   inner
	ignored int
}

func TestDescribe(t *testing.T) {
	t.Parallel()
	var names []string
	for _, s := range Describe(sample{}) {
		names = append(names, s.Name)
	}
	want := "DATABASE_URL UPSTATE_NATS_URL UPSTATE_NATS_CREDS UPSTATE_NATS_USER UPSTATE_NATS_PASSWORD " +
		"UPSTATE_NATS_TLS_CA UPSTATE_NATS_TLS_CERT UPSTATE_NATS_TLS_KEY UPSTATE_LOG_LEVEL UPSTATE_LOG_FORMAT UPSTATE_STREAM_REPLICAS UPSTATE_SHUTDOWN_TIMEOUT " +
		"UPSTATE_GRPC_TOKEN UPSTATE_GRPC_INSECURE UPSTATE_GRPC_TLS_CERT UPSTATE_GRPC_TLS_KEY UPSTATE_GRPC_TLS_CA " +
		"OTEL_EXPORTER_OTLP_ENDPOINT OTEL_EXPORTER_OTLP_TRACES_ENDPOINT OTEL_EXPORTER_OTLP_PROTOCOL T_NAME T_TIMEOUT T_RATE"
	if got := strings.Join(names, " "); got != want {
		t.Fatalf("settings %s, want %s", got, want)
	}
	md := Markdown(Describe(inner{}))
	if !strings.Contains(md, "| `T_RATE` | `2.5` | a `rate` |") {
		t.Fatalf("markdown:\n%s", md)
	}
}

// A value that does not parse is refused by the variable's name and value,
// not by the Go field's.
func TestLoadNamesTheVariable(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ env, want string }{
		{"T_RATE=x", `T_RATE="x": invalid syntax`},
		{"T_TIMEOUT=soon", `T_TIMEOUT="soon": unable to parse duration: time: invalid duration "soon"`},
		{"UPSTATE_STREAM_REPLICAS=three", `UPSTATE_STREAM_REPLICAS="three": invalid syntax`},
	} {
		_, err := LoadFrom[sample]([]string{tt.env})
		if err == nil || err.Error() != tt.want {
			t.Errorf("%s: error %v, want %s", tt.env, err, tt.want)
		}
	}
	cfg, err := LoadFrom[sample]([]string{"T_RATE=4", "T_NAME=n"})
	if err != nil || cfg.Inner.Rate != 4 || cfg.Name != "n" || cfg.Timeout != 5*time.Second || cfg.NATSURL != "nats://127.0.0.1:4222" {
		t.Fatalf("loaded %+v, %v", cfg, err)
	}
}

func TestSection(t *testing.T) {
	t.Parallel()
	readme := "intro\n<!-- config:x -->\n| a |\n<!-- /config:x -->\nend"
	if got, err := Section(readme, "x"); err != nil || got != "| a |\n" {
		t.Fatalf("Section = %q, %v", got, err)
	}
	if _, err := Section(readme, "y"); err == nil {
		t.Fatal("a missing section was found")
	}
}

// The NATS password is masked, and settings that go together are
// refused alone.
func TestNATSAuth(t *testing.T) {
	t.Parallel()
	cfg, err := LoadFrom[sample]([]string{"UPSTATE_NATS_USER=svc", "UPSTATE_NATS_PASSWORD=hunter2", "UPSTATE_GRPC_INSECURE=true"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.NATSUser != "svc" || cfg.NATSPassword.Reveal() != "hunter2" || cfg.NATSPassword.String() != "*****" {
		t.Fatalf("loaded %+v", cfg.NATSAuth)
	}
	if err := cfg.Validate(false); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ env, want string }{
		{"UPSTATE_NATS_PASSWORD=hunter2", "UPSTATE_NATS_PASSWORD needs UPSTATE_NATS_USER"},
		{"UPSTATE_NATS_TLS_KEY=key.pem", "UPSTATE_NATS_TLS_CERT and UPSTATE_NATS_TLS_KEY go together"},
	} {
		cfg, err := LoadFrom[sample]([]string{tt.env, "UPSTATE_GRPC_INSECURE=true"})
		if err != nil {
			t.Fatal(err)
		}
		if err := cfg.Validate(false); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want %q", tt.env, err, tt.want)
		}
	}
}

// A one-service binary refuses to start without a gRPC token unless told
// to run insecure; mutual TLS is configured whole or not at all.
func TestGRPCSettings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  []string
		want string
	}{
		{"no token", nil, "UPSTATE_GRPC_TOKEN is required (or UPSTATE_GRPC_INSECURE=true where nothing else reaches the gRPC ports)"},
		{"token", []string{"UPSTATE_GRPC_TOKEN=t"}, ""},
		{"insecure", []string{"UPSTATE_GRPC_INSECURE=true"}, ""},
		{"token and insecure", []string{"UPSTATE_GRPC_TOKEN=t", "UPSTATE_GRPC_INSECURE=true"}, "UPSTATE_GRPC_INSECURE=true and UPSTATE_GRPC_TOKEN contradict each other"},
		{"whole tls", []string{"UPSTATE_GRPC_TOKEN=t", "UPSTATE_GRPC_TLS_CERT=c", "UPSTATE_GRPC_TLS_KEY=k", "UPSTATE_GRPC_TLS_CA=ca"}, ""},
		{"partial tls", []string{"UPSTATE_GRPC_TOKEN=t", "UPSTATE_GRPC_TLS_CERT=c"}, "UPSTATE_GRPC_TLS_CERT, UPSTATE_GRPC_TLS_KEY and UPSTATE_GRPC_TLS_CA go together"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := LoadFrom[Common](tt.env)
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if err := cfg.Validate(false); err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Fatalf("Validate: %q, want %q", got, tt.want)
			}
		})
	}
}

// A new binary's empty table is written between its markers, not at the
// README's start.
func TestCheckBinaryWritesAnEmptyTable(t *testing.T) {
	readme := filepath.Join(t.TempDir(), "README.md")
	if err := os.WriteFile(readme, []byte("intro\n<!-- config:x -->\n<!-- /config:x -->\nend\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("UPSTATE_UPDATE_README", "1")
	if err := CheckBinary[plain](readme, "x"); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), "intro\n<!-- config:x -->\n| variable |") || !strings.HasSuffix(string(b), "<!-- /config:x -->\nend\n") {
		t.Fatalf("README written as %q", b)
	}
}

type plain struct {
	Name string `env:"T_NAME" doc:"the name"`
}

func (plain) Validate() error { return nil }

// A configuration logs its settings by variable name, secrets masked;
// a field that is no setting, here a function no handler can print, is
// left out instead of turning the line into an error.
func TestLogValue(t *testing.T) {
	t.Parallel()
	type tuned struct {
		Token   Secret        `env:"T_TOKEN"`
		Timeout time.Duration `env:"T_TIMEOUT"`
		Inner   inner
		Backoff func(int) time.Duration
		Client  chan int
	}
	cfg := tuned{Token: "hunter2", Timeout: 5 * time.Second, Inner: inner{Rate: 2.5},
		Backoff: func(int) time.Duration { return time.Second }, Client: make(chan int)}
	for _, c := range []any{cfg, &cfg} {
		var b strings.Builder
		slog.New(slog.NewJSONHandler(&b, nil)).Info("starting", "config", LogValue(c))
		want := `"config":{"T_TOKEN":"*****","T_TIMEOUT":5000000000,"T_RATE":2.5}`
		if got := b.String(); !strings.Contains(got, want) || strings.Contains(got, "ERROR") || strings.Contains(got, "hunter2") {
			t.Errorf("logged %s, want %s", got, want)
		}
	}
	var b strings.Builder
	slog.New(slog.NewJSONHandler(&b, nil)).Info("starting", "config", LogValue(nil))
	if !strings.Contains(b.String(), `"config":null`) {
		t.Errorf("logged %s", b.String())
	}
}
