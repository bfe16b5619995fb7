package registry_test

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cellsubstrate/cell/internal/registry"
)

// openDir opens a fresh registry directory under the test's temp dir.
func openDir(t testing.TB) *registry.Dir {
	t.Helper()
	d, err := registry.Open(filepath.Join(t.TempDir(), "cell"))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func register(t testing.TB, d *registry.Dir, service string, info registry.Info) *registry.Registration {
	t.Helper()
	r, err := d.Register(service, info)
	if err != nil {
		t.Fatalf("Register(%q, %+v): %v", service, info, err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func ids(insts []registry.Instance) []string {
	out := make([]string, len(insts))
	for i, in := range insts {
		out[i] = in.Instance
	}
	return out
}

func TestRegisterLookupPickClose(t *testing.T) {
	d := openDir(t)
	methods := []registry.Method{{Name: "CreateOrder", Fingerprint: 1<<64 - 1}, {Name: "GetOrder", Fingerprint: 42}}
	a := register(t, d, "orders", registry.Info{Instance: "a", Protocol: 3, Schema: "sha256:abc", Methods: methods, TCP: "127.0.0.1:9000", Unix: true})
	b := register(t, d, "orders", registry.Info{Instance: "b"})
	register(t, d, "billing", registry.Info{Instance: "a"})

	live, skipped, err := d.Lookup("orders")
	if err != nil || len(skipped) != 0 {
		t.Fatalf("Lookup: err %v, skipped %v", err, skipped)
	}
	if got := ids(live); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("Lookup ids = %v, want [a b]", got)
	}
	ia := live[0]
	if ia.PID != os.Getpid() || ia.Protocol != 3 || ia.Schema != "sha256:abc" || ia.TCP != "127.0.0.1:9000" ||
		!slices.Equal(ia.Methods, methods) {
		t.Fatalf("instance a = %+v", ia)
	}
	if ia.ControlPath != a.ControlPath() || ia.UnixPath != a.UnixPath() || live[1].UnixPath != "" {
		t.Fatalf("paths: got %q %q %q, want %q %q \"\"", ia.ControlPath, ia.UnixPath, live[1].UnixPath, a.ControlPath(), a.UnixPath())
	}
	if !strings.HasPrefix(ia.ControlPath, d.Path()+"/") {
		t.Fatalf("control path %q outside %q", ia.ControlPath, d.Path())
	}

	// Round robin: two picks give both instances.
	p1, err1 := d.Pick("orders")
	p2, err2 := d.Pick("orders")
	if err1 != nil || err2 != nil || p1.Instance == p2.Instance {
		t.Fatalf("Pick twice = %q, %q (%v, %v); want both instances", p1.Instance, p2.Instance, err1, err2)
	}

	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := a.Publish(registry.Info{}); !errors.Is(err, registry.ErrClosed) {
		t.Fatalf("Publish after Close = %v, want ErrClosed", err)
	}
	live, skipped, _ = d.Lookup("orders")
	if got := ids(live); !slices.Equal(got, []string{"b"}) || len(skipped) != 0 {
		t.Fatalf("after Close(a): live %v skipped %v", got, skipped)
	}
	b.Close()
	files, _ := os.ReadDir(filepath.Join(d.Path(), "orders"))
	if len(files) != 0 {
		t.Fatalf("files left after Close: %v", files)
	}
	_, err = d.Pick("orders")
	var nie *registry.NoInstanceError
	if !errors.Is(err, registry.ErrNoInstance) || !errors.As(err, &nie) {
		t.Fatalf("Pick with none = %v, want ErrNoInstance", err)
	}
	if !strings.Contains(err.Error(), `"orders"`) || !strings.Contains(err.Error(), d.Path()) {
		t.Fatalf("error %q does not name the service and the directory", err)
	}
	if _, err := d.Pick("never-registered"); !errors.Is(err, registry.ErrNoInstance) {
		t.Fatalf("Pick(unknown) = %v, want ErrNoInstance", err)
	}
}

// Ids that are prefixes of each other ("a", "a.k") interleave their files in directory
// order; each instance is still reported once, in id order.
func TestDottedInstanceIDs(t *testing.T) {
	d := openDir(t)
	want := []string{"a", "a.b", "a.k", "a.k.z", "b"}
	for _, id := range []string{"a.k", "b", "a", "a.k.z", "a.b"} {
		register(t, d, "svc", registry.Info{Instance: id, Unix: true})
	}
	live, skipped, err := d.Lookup("svc")
	if got := ids(live); err != nil || len(skipped) != 0 || !slices.Equal(got, want) {
		t.Fatalf("Lookup = %v, %v, %v; want %v", got, skipped, err, want)
	}
}

func TestRegisterDuplicateInstance(t *testing.T) {
	d := openDir(t)
	register(t, d, "svc", registry.Info{Instance: "one"})
	if _, err := d.Register("svc", registry.Info{Instance: "one"}); !errors.Is(err, registry.ErrInstanceExists) {
		t.Fatalf("second Register of a live id = %v, want ErrInstanceExists", err)
	}
	// A second Dir on the same path (as another process would have) sees the same.
	d2, err := registry.Open(d.Path())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d2.Register("svc", registry.Info{Instance: "one"}); !errors.Is(err, registry.ErrInstanceExists) {
		t.Fatalf("Register through another Dir = %v, want ErrInstanceExists", err)
	}
}

func TestRandomInstanceIDs(t *testing.T) {
	d := openDir(t)
	seen := map[string]bool{}
	for range 20 {
		r := register(t, d, "svc", registry.Info{})
		if seen[r.Instance()] {
			t.Fatalf("instance id %q given twice", r.Instance())
		}
		seen[r.Instance()] = true
	}
	live, _, _ := d.Lookup("svc")
	if len(live) != 20 {
		t.Fatalf("Lookup found %d, want 20", len(live))
	}
}

func TestReservePublish(t *testing.T) {
	d := openDir(t)
	r, err := d.Reserve("svc", "x")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	live, skipped, _ := d.Lookup("svc")
	if len(live) != 0 || len(skipped) != 1 || !errors.Is(skipped[0].Err, registry.ErrNotPublished) {
		t.Fatalf("before Publish: live %v skipped %+v", live, skipped)
	}
	if err := r.Publish(registry.Info{TCP: "localhost:1"}); err != nil {
		t.Fatal(err)
	}
	if err := r.Publish(registry.Info{TCP: "localhost:2"}); err != nil {
		t.Fatal(err)
	}
	live, skipped, _ = d.Lookup("svc")
	if len(live) != 1 || len(skipped) != 0 || live[0].TCP != "localhost:2" {
		t.Fatalf("after Publish: live %+v skipped %+v", live, skipped)
	}
	if got := r.Descriptor(); got.TCP != "localhost:2" || got.Instance != "x" {
		t.Fatalf("Descriptor() = %+v", got)
	}
	if err := r.Publish(registry.Info{Instance: "y"}); err == nil {
		t.Fatal("Publish with another instance id succeeded")
	}
	if err := r.Publish(registry.Info{TCP: "no-port"}); !errors.Is(err, registry.ErrBadDescriptor) {
		t.Fatalf("Publish with a bad TCP address = %v, want ErrBadDescriptor", err)
	}
}

func TestBadNames(t *testing.T) {
	d := openDir(t)
	for _, tc := range []struct{ service, instance string }{
		{"", "a"}, {".", "a"}, {"..", "a"}, {".hidden", "a"}, {"-x", "a"}, {"a/b", "a"},
		{"a b", "a"}, {strings.Repeat("s", registry.MaxServiceLen+1), "a"}, {"ok", "../x"},
		{"ok", ".x"}, {"ok", strings.Repeat("i", registry.MaxInstanceLen+1)}, {"ok", "é"},
	} {
		t.Run(tc.service+"|"+tc.instance, func(t *testing.T) {
			if _, err := d.Register(tc.service, registry.Info{Instance: tc.instance}); !errors.Is(err, registry.ErrBadName) {
				t.Fatalf("Register(%q, %q) = %v, want ErrBadName", tc.service, tc.instance, err)
			}
		})
	}
	if _, _, err := d.Lookup("../etc"); !errors.Is(err, registry.ErrBadName) {
		t.Fatalf("Lookup(../etc) = %v, want ErrBadName", err)
	}
}

func TestShortSocketNames(t *testing.T) {
	base := t.TempDir()
	// Make the directory so long that <dir>/<service>/<id>.ctl does not fit in sun_path
	// while <dir>/.s/<16 hex>.ctl does.
	long := filepath.Join(base, strings.Repeat("d", max(1, 80-len(base)-1)))
	d, err := registry.Open(long)
	if err != nil {
		t.Fatal(err)
	}
	svc := strings.Repeat("s", 30)
	r := register(t, d, svc, registry.Info{Instance: "instance-0", Unix: true})
	for _, p := range []string{r.ControlPath(), r.UnixPath()} {
		if len(p) > 107 || !strings.HasPrefix(p, d.Path()+"/.s/") {
			t.Fatalf("socket path %q (%d bytes): want a short name under %s/.s", p, len(p), d.Path())
		}
	}
	for _, p := range []string{r.ControlPath(), r.UnixPath()} { // the reserved paths are usable
		ln, err := net.Listen("unix", p)
		if err != nil {
			t.Fatalf("listen on reserved path: %v", err)
		}
		ln.Close()
	}
	live, _, _ := d.Lookup(svc)
	if len(live) != 1 || live[0].ControlPath != r.ControlPath() {
		t.Fatalf("Lookup = %+v", live)
	}
	// Far too long: even the short name does not fit.
	tooLong, err := registry.Open(filepath.Join(base, strings.Repeat("x", 110)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tooLong.Register("svc", registry.Info{}); !errors.Is(err, registry.ErrPathTooLong) {
		t.Fatalf("Register in a too-long dir = %v, want ErrPathTooLong", err)
	}
}
