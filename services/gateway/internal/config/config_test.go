package config

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/upstatehq/upstate/pkg/config"
)

func TestDefaults(t *testing.T) {
	t.Parallel()
	cfg, err := config.LoadFrom[Config](nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
	if cfg.HTTPAddr != "127.0.0.1:8090" || cfg.WebhookRateLimit != 20 || cfg.WebhookRateBurst != 40 || len(cfg.TrustedProxies) != 0 {
		t.Fatalf("defaults %+v", cfg)
	}
	if cfg.DatabaseURL != "" {
		t.Fatal("the gateway needs no database")
	}
}

func TestTrustedProxies(t *testing.T) {
	t.Parallel()
	cfg, err := config.LoadFrom[Config]([]string{"UPSTATE_TRUSTED_PROXIES=10.0.0.0/8, 192.0.2.7,fd00::/8,10.1.2.3/16"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := cfg.Proxies()
	if err != nil {
		t.Fatal(err)
	}
	want := []netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.7/32"),
		netip.MustParsePrefix("fd00::/8"), netip.MustParsePrefix("10.1.0.0/16"),
	}
	if !slices.Equal(got, want) {
		t.Fatalf("proxies %v, want %v", got, want)
	}
}

func TestInvalid(t *testing.T) {
	t.Parallel()
	for _, env := range [][]string{
		{"UPSTATE_TRUSTED_PROXIES=not-an-ip"},
		{"UPSTATE_TRUSTED_PROXIES=10.0.0.0/40"},
		{"UPSTATE_WEBHOOK_RATE_LIMIT=0"},
		{"UPSTATE_WEBHOOK_RATE_BURST=0"},
	} {
		cfg, err := config.LoadFrom[Config](env)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Validate() == nil {
			t.Errorf("%v accepted", env)
		}
	}
}
