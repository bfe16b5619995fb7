package genverify_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cellsubstrate/cell/internal/genverify"
)

// Build writes XFields and XBuild for every table, except one whose image would
// not fit its stack buffer: that one gets a comment saying why, and no XBuild.
// A schema of structs only gets no file at all.
func TestBuildSkips(t *testing.T) {
	var fields strings.Builder
	for i := 0; i < 140; i++ {
		fmt.Fprintf(&fields, "f%d:ulong;\n", i)
	}
	dir := t.TempDir()
	big := filepath.Join(dir, "big.fbs")
	src := "namespace a;\ntable Small { x:int; }\ntable Wide {\n" + fields.String() + "}\nroot_type Small;\n"
	if err := os.WriteFile(big, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := genverify.Build(compile(t, big), genverify.Config{Source: "big.fbs"})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(out, []byte("func SmallBuild(")) || bytes.Contains(out, []byte("func WideBuild(")) ||
		!bytes.Contains(out, []byte("// Wide has no WideBuild: its image would be")) {
		t.Errorf("generated:\n%s", out)
	}
	structs := filepath.Join(dir, "structs.fbs")
	if err := os.WriteFile(structs, []byte("namespace a;\nstruct P { x:int; }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err = genverify.Build(compile(t, structs), genverify.Config{Source: "structs.fbs"})
	if err != nil || out != nil {
		t.Errorf("structs only: %q, %v; want no file", out, err)
	}
}
