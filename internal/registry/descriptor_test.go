package registry_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/cellsubstrate/cell/internal/registry"
)

func TestValidate(t *testing.T) {
	good := func() registry.Descriptor {
		return registry.Descriptor{Version: 1, Service: "orders", Instance: "i1", PID: 10, BootID: "boot",
			Control: "orders/i1.ctl", Methods: []registry.Method{{Name: "A", Fingerprint: 1}}}
	}
	for _, tc := range []struct {
		name string
		edit func(d *registry.Descriptor)
		ok   bool
	}{
		{"good", func(d *registry.Descriptor) {}, true},
		{"short control", func(d *registry.Descriptor) { d.Control = registry.ShortSocketName("orders", "i1", ".ctl") }, true},
		{"unix primary", func(d *registry.Descriptor) { d.Unix = "orders/i1.net" }, true},
		{"unix short", func(d *registry.Descriptor) { d.Unix = registry.ShortSocketName("orders", "i1", ".net") }, true},
		{"tcp v4", func(d *registry.Descriptor) { d.TCP = "127.0.0.1:1" }, true},
		{"tcp v6", func(d *registry.Descriptor) { d.TCP = "[::1]:65535" }, true},
		{"tcp name", func(d *registry.Descriptor) { d.TCP = "localhost:8080" }, true},
		{"version 0", func(d *registry.Descriptor) { d.Version = 0 }, false},
		{"pid 0", func(d *registry.Descriptor) { d.PID = 0 }, false},
		{"pid too big", func(d *registry.Descriptor) { d.PID = 1 << 40 }, false},
		{"no boot id", func(d *registry.Descriptor) { d.BootID = "" }, false},
		{"boot id too long", func(d *registry.Descriptor) { d.BootID = strings.Repeat("b", 65) }, false},
		{"schema too long", func(d *registry.Descriptor) { d.Schema = strings.Repeat("s", registry.MaxSchemaLen+1) }, false},
		{"schema invalid utf8", func(d *registry.Descriptor) { d.Schema = "\xff" }, false},
		{"schema newline", func(d *registry.Descriptor) { d.Schema = "a\nb" }, false},
		{"too many methods", func(d *registry.Descriptor) { d.Methods = make([]registry.Method, registry.MaxMethods+1) }, false},
		{"empty method name", func(d *registry.Descriptor) { d.Methods[0].Name = "" }, false},
		{"duplicate method", func(d *registry.Descriptor) { d.Methods = append(d.Methods, d.Methods[0]) }, false},
		{"bad service", func(d *registry.Descriptor) { d.Service = "a/b" }, false},
		{"bad instance", func(d *registry.Descriptor) { d.Instance = ".." }, false},
		{"control elsewhere", func(d *registry.Descriptor) { d.Control = "/run/evil.ctl" }, false},
		{"control traversal", func(d *registry.Descriptor) { d.Control = "orders/../../i1.ctl" }, false},
		{"unix of another", func(d *registry.Descriptor) { d.Unix = "orders/i2.net" }, false},
		{"unix with control suffix", func(d *registry.Descriptor) { d.Unix = "orders/i1.ctl" }, false},
		{"tcp no port", func(d *registry.Descriptor) { d.TCP = "localhost" }, false},
		{"tcp port 0", func(d *registry.Descriptor) { d.TCP = "localhost:0" }, false},
		{"tcp port too big", func(d *registry.Descriptor) { d.TCP = "localhost:65536" }, false},
		{"tcp port leading zero", func(d *registry.Descriptor) { d.TCP = "localhost:080" }, false},
		{"tcp named port", func(d *registry.Descriptor) { d.TCP = "localhost:http" }, false},
		{"tcp no host", func(d *registry.Descriptor) { d.TCP = ":80" }, false},
		{"tcp too long", func(d *registry.Descriptor) { d.TCP = strings.Repeat("h", 300) + ":1" }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := good()
			tc.edit(&d)
			err := d.Validate()
			if (err == nil) != tc.ok {
				t.Fatalf("Validate() = %v, want ok=%v", err, tc.ok)
			}
			_, eerr := d.Encode()
			if (eerr == nil) != tc.ok || (eerr != nil && !errors.Is(eerr, registry.ErrBadDescriptor)) {
				t.Fatalf("Encode() error = %v, want ok=%v and ErrBadDescriptor", eerr, tc.ok)
			}
		})
	}
}

func TestErrorMessages(t *testing.T) {
	for _, tc := range []struct {
		err  error
		is   error
		want []string
	}{
		{&registry.NoInstanceError{Service: "orders", Dir: "/run/user/1/cell", Skipped: 2}, registry.ErrNoInstance,
			[]string{`"orders"`, "/run/user/1/cell", "2 entries skipped"}},
		{&registry.UnsafeDirError{Path: "/tmp/cell-1", Reason: "owned by uid 7"}, registry.ErrUnsafeDir,
			[]string{"/tmp/cell-1", "owned by uid 7"}},
		{&registry.DescriptorError{Path: "/d/s/i.json", Err: errors.New("pid -1 out of range")}, registry.ErrBadDescriptor,
			[]string{"/d/s/i.json", "pid -1"}},
		{&registry.PeerUIDError{Peer: registry.Cred{PID: 5, UID: 7}, Want: 1}, registry.ErrPeerUID,
			[]string{"pid 5", "uid 7", "want uid 1"}},
	} {
		if !errors.Is(tc.err, tc.is) {
			t.Errorf("%T does not match %v", tc.err, tc.is)
		}
		for _, w := range tc.want {
			if !strings.Contains(tc.err.Error(), w) {
				t.Errorf("%q does not contain %q", tc.err.Error(), w)
			}
		}
	}
}
