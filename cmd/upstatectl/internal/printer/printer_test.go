package printer

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// YAML keeps the API's key order and gives back the same values: strings
// that look like other types stay strings.
func TestYAMLKeepsOrderAndTypes(t *testing.T) {
	in := `{"id":"svc_1","name":"true","count":3,"ratio":0.5,"when":"2026-12-03T14:50:40Z","none":null,"tags":{"z":"1","a":"yes"},"list":[1,"2"],"text":"a: b\nc"}`
	var b bytes.Buffer
	if err := (Printer{W: &b, Format: YAML}).One(nil, json.RawMessage(in)); err != nil {
		t.Fatal(err)
	}
	var back any
	if err := yaml.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatalf("%v:\n%s", err, b.String())
	}
	var want any
	if err := json.Unmarshal([]byte(in), &want); err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(back)
	exp, _ := json.Marshal(want)
	if !bytes.Equal(got, exp) {
		t.Fatalf("YAML reads back as %s, want %s:\n%s", got, exp, b.String())
	}
	if !strings.HasPrefix(b.String(), "id: svc_1\nname: \"true\"\ncount: 3\n") || strings.Index(b.String(), "z:") > strings.Index(b.String(), "a:") {
		t.Fatalf("YAML lost the key order or quoting:\n%s", b.String())
	}
}

func TestTableCells(t *testing.T) {
	items := []json.RawMessage{
		json.RawMessage(`{"id":"a","tags":{"b":"2","a":"1"},"ids":["x","y"],"none":null,"sig":{"scheme":"hex"},"n":12345678901,"long":"abcdefghij"}`),
	}
	var b bytes.Buffer
	cols := []Column{{"ID", "id", 0}, {"TAGS", "tags", 0}, {"IDS", "ids", 0}, {"NONE", "none", 0}, {"SCHEME", "sig.scheme", 0}, {"N", "n", 0}, {"LONG", "long", 5}, {"MISSING", "x.y", 0}}
	if err := (Printer{W: &b, Format: Table}).List(cols, items); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if got := strings.Fields(lines[1]); strings.Join(got, " ") != "a a=1,b=2 x,y - hex 12345678901 abcd… -" {
		t.Fatalf("row = %q", lines[1])
	}
}

func TestEmptyListIsAnArray(t *testing.T) {
	var b bytes.Buffer
	if err := (Printer{W: &b, Format: JSON}).List(nil, nil); err != nil || strings.TrimSpace(b.String()) != "[]" {
		t.Fatalf("empty list = %q, %v", b.String(), err)
	}
}
