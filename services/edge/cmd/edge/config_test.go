package main

import (
	"testing"

	"github.com/upstatehq/upstate/pkg/config"
)

func TestConfigDefaultsAndREADME(t *testing.T) {
	if err := config.CheckBinary[Config]("../../../../README.md", "edge", "DATABASE_URL=postgres://localhost/upstate"); err != nil {
		t.Fatal(err)
	}
}
