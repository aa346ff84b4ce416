package main

import (
	"strings"
	"testing"
	"time"

	"github.com/upstatehq/upstate/pkg/config"
)

func TestConfigReadsEveryServicesSettings(t *testing.T) {
	t.Parallel()
	// Every service's settings are read by the same names as their own
	// binaries read them.
	cfg, err := config.LoadFrom[Config]([]string{
		"UPSTATE_STATUS_INGEST_CONCURRENCY=7", "UPSTATE_INCIDENTS_CONCURRENCY=6", "UPSTATE_MAINTENANCE_INTERVAL=2s",
		"UPSTATE_AUTH_CACHE_TTL=3s", "UPSTATE_WEBHOOK_RATE_LIMIT=5", "UPSTATE_TRUSTED_PROXIES=10.0.0.0/8",
		"UPSTATE_STREAM_REPLICAS=3", "UPSTATE_NATS_URL=nats://n1:4222", "UPSTATE_STATUSPAGE_CONCURRENCY=3",
	})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Status.IngestConcurrency != 7 || cfg.Incidents.Concurrency != 6 || cfg.Incidents.SchedulerInterval != 2*time.Second ||
		cfg.Edge.AuthCacheTTL != 3*time.Second || cfg.Gateway.RateLimit != 5 || len(cfg.Gateway.TrustedProxies) != 1 || cfg.StreamReplicas != 3 ||
		cfg.StatusPage.Concurrency != 3 {
		t.Fatalf("loaded %+v", cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestConfigRefusesByName(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ env, want string }{
		{"UPSTATE_WEBHOOK_RATE_LIMIT=x", `UPSTATE_WEBHOOK_RATE_LIMIT="x"`},
		{"UPSTATE_TRUSTED_PROXIES=10.0.0.0/40", `UPSTATE_TRUSTED_PROXIES="10.0.0.0/40"`},
		{"UPSTATE_WEBHOOK_RATE_BURST=0", "UPSTATE_WEBHOOK_RATE_BURST must be at least 1"},
		{"UPSTATE_INCIDENTS_CONCURRENCY=0", "UPSTATE_INCIDENTS_CONCURRENCY must be between 1 and 64"},
		{"UPSTATE_STREAM_REPLICAS=3", "UPSTATE_STREAM_REPLICAS above 1 needs a NATS cluster"},
		{"UPSTATE_NATS_LISTEN=4222", "UPSTATE_NATS_LISTEN must be host:port"},
		{"UPSTATE_PUBLIC_URL=example.com", "UPSTATE_PUBLIC_URL"},
		{"UPSTATE_NATS_ADMIN_USER=ops", "UPSTATE_NATS_ADMIN_USER and UPSTATE_NATS_ADMIN_PASSWORD go together"},
		{"UPSTATE_NATS_READER_USER=team", "UPSTATE_NATS_READER_USER and UPSTATE_NATS_READER_PASSWORD go together"},
		{"UPSTATE_NATS_USER=svc", "the embedded one makes a user per service"},
		{"UPSTATE_NATS_TLS_CERT=client.pem", "UPSTATE_NATS_TLS_CERT and UPSTATE_NATS_TLS_KEY go together"},
	} {
		cfg, err := config.LoadFrom[Config]([]string{tt.env})
		if err == nil {
			err = cfg.Validate()
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want it to say %q", tt.env, err, tt.want)
		}
	}
}

// The reader is a user of the embedded server; an external server's
// users are that server's business.
func TestConfigReaderNeedsTheEmbeddedServer(t *testing.T) {
	t.Parallel()
	cfg, err := config.LoadFrom[Config]([]string{"UPSTATE_NATS_URL=nats://n1:4222", "UPSTATE_NATS_READER_USER=team", "UPSTATE_NATS_READER_PASSWORD=secret"})
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "create it on that server") {
		t.Errorf("error %v, want the reader refused with UPSTATE_NATS_URL", err)
	}
}

func TestConfigDefaultsAndREADME(t *testing.T) {
	if err := config.CheckBinary[Config]("../../README.md", "upstate"); err != nil {
		t.Fatal(err)
	}
}

// The standalone binary's services authenticate each other by default:
// without a configured token each process generates its own.
func TestGRPCAuthDefaultsToAGeneratedToken(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  []string
		want string // "": none; "random": a generated one
	}{
		{"no token", nil, "random"},
		{"configured token", []string{"UPSTATE_GRPC_TOKEN=s3cret"}, "s3cret"},
		{"insecure", []string{"UPSTATE_GRPC_INSECURE=true"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := config.LoadFrom[Config](tt.env)
			if err != nil {
				t.Fatal(err)
			}
			a, err := grpcAuth(cfg.GRPC)
			if err != nil {
				t.Fatal(err)
			}
			b, err := grpcAuth(cfg.GRPC)
			if err != nil {
				t.Fatal(err)
			}
			switch tt.want {
			case "random":
				if len(a.Token) < 32 || a.Token == b.Token {
					t.Fatalf("tokens %q and %q, want two long random ones", a.Token, b.Token)
				}
			default:
				if a.Token != tt.want {
					t.Fatalf("token %q, want %q", a.Token, tt.want)
				}
			}
		})
	}
}

func TestLoopbackOnly(t *testing.T) {
	t.Parallel()
	for addr, want := range map[string]bool{
		"127.0.0.1:8080": true, "localhost:8080": true, "[::1]:8080": true,
		"0.0.0.0:8080": false, ":8080": false, "10.0.0.5:8080": false, "status.example.com:80": false, "nonsense": false,
	} {
		if got := loopbackOnly(addr); got != want {
			t.Errorf("loopbackOnly(%q) = %v, want %v", addr, got, want)
		}
	}
}
