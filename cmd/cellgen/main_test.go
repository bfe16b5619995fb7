package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// cellgen regenerates exactly the committed files for the example and test schemas.
func TestRegenerate(t *testing.T) {
	if _, err := exec.LookPath("flatc"); err != nil {
		t.Skip("flatc not installed (make flatc installs it):", err)
	}
	for _, c := range []struct{ fbs, dir string }{
		{"../../examples/orders/orders.fbs", "../../examples/orders"},
		{"../../internal/testschema/testschema.fbs", "../../internal/testschema"},
		{"../../internal/testschema/edge/edge.fbs", "../../internal/testschema/edge"},
		{"../../internal/schema/reflection/reflection.fbs", "../../internal/schema/reflection"},
	} {
		out := t.TempDir()
		args := []string{"-o", out, c.fbs}
		if filepath.Base(c.fbs) == "reflection.fbs" {
			args = []string{"-o", out, "-only", "verify", c.fbs}
		}
		if err := run(args); err != nil {
			t.Fatal(err)
		}
		files, _ := filepath.Glob(filepath.Join(out, "*.cellgen.go"))
		if len(files) < 1 {
			t.Fatalf("%s: wrote %d files", c.fbs, len(files))
		}
		for _, f := range files {
			got, _ := os.ReadFile(f)
			want, err := os.ReadFile(filepath.Join(c.dir, filepath.Base(f)))
			if err != nil {
				t.Errorf("%s: not committed: %v", filepath.Base(f), err)
				continue
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the committed file: run go generate", filepath.Base(f))
			}
		}
	}
}

func TestOnly(t *testing.T) {
	if _, err := exec.LookPath("flatc"); err != nil {
		t.Skip("flatc not installed:", err)
	}
	out := t.TempDir()
	if err := run([]string{"-o", out, "-only", "verify", "../../examples/orders/orders.fbs"}); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(out, "*"))
	if len(files) != 1 || filepath.Base(files[0]) != "orders_verify.cellgen.go" {
		t.Errorf("-only verify wrote %v", files)
	}
}

func TestBadArgs(t *testing.T) {
	for _, args := range [][]string{nil, {"a.fbs", "b.fbs"}, {"-nope"}, {"does-not-exist.fbs"}} {
		if err := run(args); err == nil {
			t.Errorf("run(%q) succeeded", args)
		}
	}
}
