package testschema_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	ts "github.com/cellsubstrate/cell/internal/testschema"
	flatbuffers "github.com/google/flatbuffers/go"
)

// These tests use flatc (C++) as a second, independent FlatBuffers implementation:
// buffers it builds pass the Go verifier and read correctly, and buffers Go builds
// read correctly in C++.

func flatc(t *testing.T, args ...string) {
	t.Helper()
	if _, err := exec.LookPath("flatc"); err != nil {
		t.Skip("flatc not installed (make flatc installs it):", err)
	}
	if out, err := exec.Command("flatc", args...).CombinedOutput(); err != nil {
		t.Fatalf("flatc %v: %v\n%s", args, err, out)
	}
}

func TestVerifyCppBuilt(t *testing.T) {
	dir := t.TempDir()
	flatc(t, "-b", "-o", dir, "testschema.fbs", "testdata/monster.json")
	buf, err := os.ReadFile(filepath.Join(dir, "monster.ctst"))
	if err != nil {
		t.Fatal(err)
	}
	var m ts.Monster
	if err := ts.ReadMonster(buf, &m); err != nil {
		t.Fatalf("C++-built buffer rejected: %v", err)
	}
	if string(m.Name()) != "cpp-orc" || m.Hp() != 77 || *m.Level() != 5 || m.Perm() != ts.PermRead|ts.PermWrite {
		t.Errorf("read %q hp %d level %d perm %v", m.Name(), m.Hp(), *m.Level(), m.Perm())
	}
	if m.PayloadType() != ts.PayloadLeaf || m.AltType() != ts.PayloadBox {
		t.Errorf("union types %v %v", m.PayloadType(), m.AltType())
	}
	got := m.UnPack()
	if box := got.Alt.Value.(*ts.BoxT); len(box.Items) != 2 || box.Items[1].Name != "i2" || box.Items[0].Value != 7 {
		t.Errorf("alt box = %+v (default value 7 expected for i1)", box.Items)
	}
	if len(got.Children) != 1 || got.Children[0].Name != "kid" || got.Mana != 150 || got.Ratio != 0.5 || got.Big != 18446744073709551615 {
		t.Errorf("children %+v, defaults mana %d ratio %v big %d", got.Children, got.Mana, got.Ratio, got.Big)
	}
	ts.TouchMonster(&m)
}

func TestCppReadsGoBuilt(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "go.ctst")
	if err := os.WriteFile(bin, ts.BuildMonster(flatbuffers.NewBuilder(0), ts.SampleMonster()), 0o644); err != nil {
		t.Fatal(err)
	}
	flatc(t, "--json", "--strict-json", "-o", dir, "testschema.fbs", "--", bin)
	js, err := os.ReadFile(filepath.Join(dir, "go.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Name     string
		Hp       int
		Level    int
		Tiny     int
		Colors   []any
		Segments []struct{ Id uint64 }
		Children []struct{ Name string }
		Alt      struct {
			Payload struct{ Name string }
		}
		AltType string `json:"alt_type"`
	}
	if err := json.Unmarshal(js, &m); err != nil {
		t.Fatalf("%v\n%s", err, js)
	}
	if m.Name != "orc" || m.Hp != 300 || m.Level != -42 || m.Tiny != -128 || m.AltType != "Monster" ||
		m.Alt.Payload.Name != "deep" || len(m.Children) != 2 || m.Children[1].Name != "second" ||
		len(m.Segments) != 1 || m.Segments[0].Id != 9 || len(m.Colors) != 3 {
		t.Errorf("C++ read the Go buffer as %+v\n%s", m, js)
	}
}
