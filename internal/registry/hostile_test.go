package registry_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/cellsubstrate/cell/internal/proc"
	"github.com/cellsubstrate/cell/internal/registry"
)

// validJSON returns a valid descriptor for (service, id) naming this process, with
// replace applied to its encoding.
func validJSON(t *testing.T, service, id string, edit func(string) string) []byte {
	t.Helper()
	st, err := proc.SelfStartTime()
	if err != nil {
		t.Fatal(err)
	}
	boot, err := proc.BootID()
	if err != nil {
		t.Fatal(err)
	}
	d := registry.Descriptor{Version: registry.FormatVersion, Service: service, Instance: id,
		PID: os.Getpid(), StartTime: st, BootID: boot, Control: service + "/" + id + ".ctl"}
	b, err := d.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		return []byte(edit(string(b)))
	}
	return b
}

func TestHostileDescriptors(t *testing.T) {
	self := fmt.Sprintf(`"pid":%d`, os.Getpid())
	for _, tc := range []struct {
		name  string
		plant func(t *testing.T, path string) // writes <id>.json
	}{
		{"huge", func(t *testing.T, p string) {
			write(t, p, append(validJSON(t, "svc", "x", nil), make([]byte, registry.MaxDescriptorSize)...))
		}},
		{"invalid JSON", func(t *testing.T, p string) { write(t, p, []byte(`{"v":1,`)) }},
		{"empty", func(t *testing.T, p string) { write(t, p, nil) }},
		{"null", func(t *testing.T, p string) { write(t, p, []byte(`null`)) }},
		{"array", func(t *testing.T, p string) { write(t, p, []byte(`[1,2]`)) }},
		{"pid as string", func(t *testing.T, p string) {
			write(t, p, validJSON(t, "svc", "x", func(s string) string { return strings.Replace(s, self, `"pid":"1"`, 1) }))
		}},
		{"negative pid", func(t *testing.T, p string) {
			write(t, p, validJSON(t, "svc", "x", func(s string) string { return strings.Replace(s, self, `"pid":-5`, 1) }))
		}},
		{"pid overflow", func(t *testing.T, p string) {
			write(t, p, validJSON(t, "svc", "x", func(s string) string { return strings.Replace(s, self, `"pid":1e99`, 1) }))
		}},
		{"control path traversal", func(t *testing.T, p string) {
			write(t, p, validJSON(t, "svc", "x", func(s string) string {
				return strings.Replace(s, `"svc/x.ctl"`, `"../../etc/passwd"`, 1)
			}))
		}},
		{"control absolute", func(t *testing.T, p string) {
			write(t, p, validJSON(t, "svc", "x", func(s string) string { return strings.Replace(s, `"svc/x.ctl"`, `"/tmp/evil"`, 1) }))
		}},
		{"control of another instance", func(t *testing.T, p string) {
			write(t, p, validJSON(t, "svc", "x", func(s string) string { return strings.Replace(s, `"svc/x.ctl"`, `"svc/y.ctl"`, 1) }))
		}},
		{"describes another instance", func(t *testing.T, p string) { write(t, p, validJSON(t, "svc", "y", nil)) }},
		{"describes another service", func(t *testing.T, p string) { write(t, p, validJSON(t, "other", "x", nil)) }},
		{"unknown field", func(t *testing.T, p string) {
			write(t, p, validJSON(t, "svc", "x", func(s string) string { return strings.Replace(s, `{`, `{"evil":1,`, 1) }))
		}},
		{"key in other case", func(t *testing.T, p string) {
			write(t, p, validJSON(t, "svc", "x", func(s string) string { return strings.Replace(s, `"pid"`, `"PID"`, 1) }))
		}},
		{"repeated key", func(t *testing.T, p string) {
			write(t, p, validJSON(t, "svc", "x", func(s string) string { return strings.Replace(s, `{`, `{"pid":1,`, 1) }))
		}},
		{"trailing data", func(t *testing.T, p string) { write(t, p, append(validJSON(t, "svc", "x", nil), " {}"...)) }},
		{"format version 2", func(t *testing.T, p string) {
			write(t, p, validJSON(t, "svc", "x", func(s string) string { return strings.Replace(s, `"v":1`, `"v":2`, 1) }))
		}},
		{"control character", func(t *testing.T, p string) {
			write(t, p, validJSON(t, "svc", "x", func(s string) string { return strings.Replace(s, `"v":1`, `"v":1,"schema":"a\u0000b"`, 1) }))
		}},
		{"FIFO", func(t *testing.T, p string) {
			if err := syscall.Mkfifo(p, 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		{"symlink", func(t *testing.T, p string) {
			if err := os.Symlink("/etc/passwd", p); err != nil {
				t.Fatal(err)
			}
		}},
		{"directory", func(t *testing.T, p string) {
			if err := os.Mkdir(p, 0o700); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := openDir(t)
			r, err := d.Reserve("svc", "x") // we hold the lock: the entry is not dead
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			desc := filepath.Join(d.Path(), "svc", "x.json")
			tc.plant(t, desc)
			live, skipped, err := d.Lookup("svc")
			if err != nil || len(live) != 0 || len(skipped) != 1 {
				t.Fatalf("Lookup = %v, %+v, %v; want one skipped entry", live, skipped, err)
			}
			var de *registry.DescriptorError
			if !errors.Is(skipped[0].Err, registry.ErrBadDescriptor) || !errors.As(skipped[0].Err, &de) || de.Path != desc {
				t.Fatalf("skipped[0] = %+v, want a DescriptorError for %s", skipped[0], desc)
			}
			if skipped[0].Swept {
				t.Fatal("a held entry was swept")
			}
			if _, err := os.Lstat(desc); err != nil {
				t.Fatalf("descriptor of a held entry removed: %v", err)
			}
			if _, err := d.Pick("svc"); !errors.Is(err, registry.ErrNoInstance) {
				t.Fatalf("Pick = %v, want ErrNoInstance", err)
			}
			// Once the holder is gone, the hostile entry is dead and is swept.
			r.Close()
			tc.plant(t, desc)
			_, skipped, _ = d.Lookup("svc")
			if len(skipped) != 1 || !skipped[0].Swept || !errors.Is(skipped[0].Err, registry.ErrDead) {
				t.Fatalf("after Close: skipped %+v, want the entry swept as dead", skipped)
			}
			if ents, _ := os.ReadDir(filepath.Join(d.Path(), "svc")); len(ents) != 0 {
				t.Fatalf("left after sweep: %v", ents)
			}
		})
	}
}

func write(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// A lock file that is not a regular file is reported, never followed or panicked on.
func TestHostileLockFiles(t *testing.T) {
	d := openDir(t)
	svc := filepath.Join(d.Path(), "svc")
	if err := os.Mkdir(svc, 0o700); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(t.TempDir(), "target")
	write(t, target, []byte("keep"))
	if err := os.Symlink(target, filepath.Join(svc, "link.lock")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(svc, "dir.lock"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(svc, "fifo.lock"), 0o600); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(svc, "bad name!.lock"), nil)
	live, skipped, err := d.Lookup("svc")
	if err != nil || len(live) != 0 || len(skipped) != 4 {
		t.Fatalf("Lookup = %v, %+v, %v; want 4 skipped", live, skipped, err)
	}
	for _, s := range skipped {
		if s.Err == nil || s.Swept {
			t.Fatalf("skipped %+v: want an error and no sweep", s)
		}
	}
	if b, err := os.ReadFile(target); err != nil || string(b) != "keep" {
		t.Fatalf("symlink target touched: %q, %v", b, err)
	}
	if _, err := d.Register("svc", registry.Info{Instance: "link"}); err == nil {
		t.Fatal("Register over a symlinked lock file succeeded")
	}
}

// A held lock whose descriptor names a dead process is skipped as stale and left alone.
func TestStaleDescriptorUnderHeldLock(t *testing.T) {
	d := openDir(t)
	r, err := d.Reserve("svc", "x")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	write(t, filepath.Join(d.Path(), "svc", "x.json"), validJSON(t, "svc", "x", func(s string) string {
		return strings.Replace(s, `"start":`, `"start":1`, 1) // a 1 before the digits: not our start time
	}))
	_, skipped, _ := d.Lookup("svc")
	if len(skipped) != 1 || !errors.Is(skipped[0].Err, registry.ErrStale) || skipped[0].Swept {
		t.Fatalf("skipped = %+v, want one stale, not swept", skipped)
	}
	write(t, filepath.Join(d.Path(), "svc", "x.json"), validJSON(t, "svc", "x", func(s string) string {
		return strings.Replace(s, `"boot":"`, `"boot":"0`, 1)
	}))
	_, skipped, _ = d.Lookup("svc")
	if len(skipped) != 1 || !errors.Is(skipped[0].Err, registry.ErrStale) || skipped[0].Swept {
		t.Fatalf("other boot: skipped = %+v, want one stale, not swept", skipped)
	}
}
