package main

import (
	"testing"

	"github.com/upstatehq/upstate/pkg/config"
)

func TestConfigDefaults(t *testing.T) {
	t.Parallel()
	cfg, err := config.LoadFrom[Config]([]string{"DATABASE_URL=postgres://localhost/upstate"})
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("defaults refused: %v", err)
	}
}

func TestREADMEConfigurationTable(t *testing.T) {
	t.Parallel()
	if err := config.CheckREADME("../../../../README.md", "status", Config{}); err != nil {
		t.Fatal(err)
	}
}
