package registry_test

import (
	"bytes"
	"errors"
	"reflect"
	"slices"
	"testing"

	"github.com/cellsubstrate/cell/internal/registry"
)

func equalDesc(a, b registry.Descriptor) bool {
	ma, mb := a.Methods, b.Methods
	a.Methods, b.Methods = nil, nil
	return reflect.DeepEqual(a, b) && slices.Equal(ma, mb) // slices.Equal: nil == empty
}

func seedDescriptors() []registry.Descriptor {
	return []registry.Descriptor{
		{Version: 1, Service: "orders", Instance: "a", PID: 1, BootID: "b", Control: "orders/a.ctl"},
		{Version: 1, Service: "orders", Instance: "3f9c0a1b2c3d4e5f", PID: 1<<31 - 1, StartTime: 1<<64 - 1,
			BootID: "0b6e3f44-4a4c-4a83-9d35-5b0c2f1e8a77", Protocol: 1<<32 - 1, Schema: "sha256:ü<&>\"\\",
			Methods: []registry.Method{{Name: "CreateOrder", Fingerprint: 1<<64 - 1}, {Name: "Get/Order", Fingerprint: 0}},
			Control: ".s/7c1f3b0e0d5a2f11.ctl", Unix: "orders/3f9c0a1b2c3d4e5f.net", TCP: "[::1]:65535"},
	}
}

// FuzzDecode feeds arbitrary bytes to Decode. Whatever it accepts must encode back to
// bytes that decode to the same value, and that encoding must be a fixed point.
func FuzzDecode(f *testing.F) {
	for _, d := range seedDescriptors() {
		if d.Control[0] == '.' { // make the short name match its service/instance
			continue
		}
		b, err := d.Encode()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"v":1,"service":"s","instance":"i","pid":1,"start":0,"boot":"b","protocol":0,"control":"s/i.ctl","methods":[{"name":"m","fp":18446744073709551615}]}`))
	f.Add([]byte(`{"v":1,"v":1}`))
	f.Add([]byte(`{"PID":1}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := registry.Decode(b)
		if err != nil {
			if !errors.Is(err, registry.ErrBadDescriptor) {
				t.Fatalf("Decode error %v is not an ErrBadDescriptor", err)
			}
			return
		}
		enc, err := d.Encode()
		if err != nil {
			t.Fatalf("Encode of a decoded descriptor %+v: %v", d, err)
		}
		d2, err := registry.Decode(enc)
		if err != nil || !equalDesc(d, d2) {
			t.Fatalf("decode(encode(x)) = %+v, %v; want %+v", d2, err, d)
		}
		enc2, _ := d2.Encode()
		if !bytes.Equal(enc, enc2) {
			t.Fatalf("encoding is not canonical:\n%s\n%s", enc, enc2)
		}
	})
}

// FuzzRoundTrip builds descriptors from arbitrary field values: Encode either refuses
// one with a DescriptorError or produces bytes that Decode turns back into it exactly.
func FuzzRoundTrip(f *testing.F) {
	for _, d := range seedDescriptors() {
		f.Add(d.Service, d.Instance, d.PID, d.StartTime, d.BootID, d.Protocol, d.Schema, "CreateOrder", uint64(7), d.TCP, d.Unix != "", d.Control[0] == '.')
	}
	f.Fuzz(func(t *testing.T, service, instance string, pid int, start uint64, boot string, protocol uint32,
		schema, method string, fp uint64, tcp string, unix, short bool) {
		d := registry.Descriptor{Version: registry.FormatVersion, Service: service, Instance: instance, PID: pid,
			StartTime: start, BootID: boot, Protocol: protocol, Schema: schema, TCP: tcp,
			Control: service + "/" + instance + ".ctl"}
		if method != "" {
			d.Methods = []registry.Method{{Name: method, Fingerprint: fp}, {Name: method + "2", Fingerprint: ^fp}}
		}
		if unix {
			d.Unix = service + "/" + instance + ".net"
		}
		if short {
			d.Control = registry.ShortSocketName(service, instance, ".ctl")
		}
		enc, err := d.Encode()
		if err != nil {
			if !errors.Is(err, registry.ErrBadDescriptor) {
				t.Fatalf("Encode error %v is not an ErrBadDescriptor", err)
			}
			return
		}
		got, err := registry.Decode(enc)
		if err != nil || !equalDesc(got, d) {
			t.Fatalf("decode(encode(x)) = %+v, %v; want %+v\n%s", got, err, d, enc)
		}
	})
}
