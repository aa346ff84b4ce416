package main

import (
	"testing"

	"github.com/upstatehq/upstate/pkg/config"
)

func TestConfigDefaultsAndREADME(t *testing.T) {
	if err := config.CheckBinary[Config]("../../../../README.md", "notification", "DATABASE_URL=postgres://localhost/upstate", "UPSTATE_GRPC_TOKEN=t"); err != nil {
		t.Fatal(err)
	}
}
