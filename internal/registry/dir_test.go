package registry_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cellsubstrate/cell/internal/registry"
)

func TestOpenRefusesUnsafeDirs(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, path string)
	}{
		{"group readable", func(t *testing.T, p string) { mkdir(t, p, 0o750) }},
		{"world writable", func(t *testing.T, p string) { mkdir(t, p, 0o777|os.ModeSticky) }},
		{"world searchable", func(t *testing.T, p string) { mkdir(t, p, 0o701) }},
		{"symlink to our own dir", func(t *testing.T, p string) {
			real := filepath.Join(filepath.Dir(p), "real")
			mkdir(t, real, 0o700)
			if err := os.Symlink(real, p); err != nil {
				t.Fatal(err)
			}
		}},
		{"regular file", func(t *testing.T, p string) { write(t, p, nil) }},
		{"owned by another user", func(t *testing.T, p string) {
			if os.Getuid() != 0 {
				t.Skip("needs root to give a directory to another uid")
			}
			mkdir(t, p, 0o700)
			if err := os.Chown(p, 65534, 65534); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "cell")
			tc.setup(t, p)
			d, err := registry.Open(p)
			var ue *registry.UnsafeDirError
			if d != nil || !errors.Is(err, registry.ErrUnsafeDir) || !errors.As(err, &ue) || ue.Path != p {
				t.Fatalf("Open(%s) = %v, %v; want an UnsafeDirError", tc.name, d, err)
			}
		})
	}
}

func mkdir(t *testing.T, p string, mode os.FileMode) {
	t.Helper()
	if err := os.Mkdir(p, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil { // not subject to the umask
		t.Fatal(err)
	}
}

func TestOpenCreatesPrivateDir(t *testing.T) {
	p := filepath.Join(t.TempDir(), "a", "b", "cell")
	d, err := registry.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(d.Path())
	if err != nil || fi.Mode().Perm() != 0o700 || !fi.IsDir() {
		t.Fatalf("created %v, %v; want a 0700 directory", fi.Mode(), err)
	}
	// Opening it again is fine, through a relative path too.
	wd, _ := os.Getwd()
	rel, err := filepath.Rel(wd, p)
	if err != nil {
		t.Fatal(err)
	}
	d2, err := registry.Open(rel)
	if err != nil || d2.Path() != p {
		t.Fatalf("Open(%s) = %v, %v", rel, d2, err)
	}
	if _, err := registry.Open(""); err == nil {
		t.Fatal("Open(\"\") succeeded")
	}
}

func TestDefaultPath(t *testing.T) {
	tmp := t.TempDir()
	for _, tc := range []struct {
		name, cellDir, xdg, want string
	}{
		{"CELL_DIR wins", "/x/cell", "/run/user/1", "/x/cell"},
		{"XDG_RUNTIME_DIR", "", "/run/user/1", "/run/user/1/cell"},
		{"relative XDG ignored", "", "rel", filepath.Join(tmp, "cell-"+strconv.Itoa(os.Getuid()))},
		{"temp dir", "", "", filepath.Join(tmp, "cell-"+strconv.Itoa(os.Getuid()))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("CELL_DIR", tc.cellDir)
			t.Setenv("XDG_RUNTIME_DIR", tc.xdg)
			t.Setenv("TMPDIR", tmp)
			got, err := registry.DefaultPath()
			if err != nil || got != tc.want {
				t.Fatalf("DefaultPath() = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
	t.Setenv("CELL_DIR", filepath.Join(tmp, "mine"))
	d, err := registry.OpenDefault()
	if err != nil || d.Path() != filepath.Join(tmp, "mine") {
		t.Fatalf("OpenDefault() = %v, %v", d, err)
	}
}

// Two Dirs on different paths in one process do not see each other.
func TestDirsAreIndependent(t *testing.T) {
	a, b := openDir(t), openDir(t)
	register(t, a, "svc", registry.Info{Instance: "in-a"})
	if live, _, _ := b.Lookup("svc"); len(live) != 0 {
		t.Fatalf("b sees %v", live)
	}
	if live, _, _ := a.Lookup("svc"); len(live) != 1 {
		t.Fatalf("a sees %v", live)
	}
	register(t, a, "other", registry.Info{Instance: "x", Unix: true})
	register(t, a, strings.Repeat("s", 100), registry.Info{}) // its sockets go under .s
	got, err := a.Services()
	if want := []string{"other", strings.Repeat("s", 100), "svc"}; err != nil || !slices.Equal(got, want) {
		t.Fatalf("Services() = %v, %v; want %v", got, err, want)
	}
	if got, _ := b.Services(); len(got) != 0 {
		t.Fatalf("b.Services() = %v", got)
	}
}
