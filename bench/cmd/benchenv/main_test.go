package main

import (
	"slices"
	"testing"
)

func TestDatabaseNames(t *testing.T) {
	t.Parallel()
	got, err := databaseNames(" upstate, outbox ,,drain_1")
	if err != nil || !slices.Equal(got, []string{"upstate", "outbox", "drain_1"}) {
		t.Fatalf("databaseNames = %q, %v", got, err)
	}
	for _, bad := range []string{"", " , ", "Up", "a;drop", "x-y"} {
		if _, err := databaseNames(bad); err == nil {
			t.Errorf("databaseNames(%q) accepted", bad)
		}
	}
}
