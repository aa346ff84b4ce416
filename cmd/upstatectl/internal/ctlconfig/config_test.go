package ctlconfig

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestSaveLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "upstatectl.yaml")
	f, exposed, err := Load(path)
	if err != nil || exposed || len(f.Contexts) != 0 {
		t.Fatalf("a missing file: %v, %v, %v", f, exposed, err)
	}
	f.Set(Context{Name: "local", URL: "http://a", APIKey: "ak_live_1"})
	f.Set(Context{Name: "prod", URL: "https://b"})
	f.Set(Context{Name: "local", NATSURL: "nats://c"}) // changes only what it gives
	if err := f.Save(path); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, %v; want 0600", st.Mode().Perm(), err)
	}
	g, exposed, err := Load(path)
	if err != nil || exposed {
		t.Fatalf("load: %v, exposed %v", err, exposed)
	}
	local, err := g.Context("local")
	if err != nil || g.CurrentContext != "local" || local != (Context{Name: "local", URL: "http://a", APIKey: "ak_live_1", NATSURL: "nats://c"}) {
		t.Fatalf("loaded %+v, local %+v, %v", g, local, err)
	}
	if err := g.Use("prod"); err != nil || g.CurrentContext != "prod" {
		t.Fatalf("use prod: %v", err)
	}
	if err := g.Use("nowhere"); !errors.Is(err, ErrNoContext) {
		t.Fatalf("use nowhere: %v", err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, exposed, _ := Load(path); !exposed {
		t.Fatal("a file others read is not reported")
	}
}
