package rpc

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

func sampleHello() *hello {
	return &hello{Version: ProtocolVersion, Flags: helloWantSHM, Service: "orders.Orders", BootID: "b0075e1d", PID: 4242, Start: 123456,
		Methods: []MethodDesc{
			{Name: "CreateOrder", Request: Shape{Type: "orders.Order", Fields: []Field{{"0", "id", "ulong"}, {"1", "symbol", "string"}, {"6", "tags", "[string]"}}}, Reply: Shape{Type: "orders.OrderId", Fields: []Field{{"0", "id", "ulong"}}}},
			{Name: "GetOrder", Request: Shape{Type: "orders.OrderId"}, Reply: Shape{Type: "orders.Order"}},
		}}
}

func TestHelloRoundTrip(t *testing.T) {
	for _, h := range []*hello{sampleHello(), {Version: ProtocolVersion, Code: CodeIncompatible, Message: "no", Control: "/run/cell/x.ctl"}} {
		b := appendHello(nil, h)
		got, err := parseHello(b)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, h) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", got, h)
		}
		for n := 0; n < len(b); n++ {
			if _, err := parseHello(b[:n]); !errors.Is(err, ErrProtocol) {
				t.Fatalf("truncated to %d bytes: %v, want ErrProtocol", n, err)
			}
		}
	}
}

// FuzzParseHello feeds arbitrary bytes to the handshake decoder: it must never panic,
// and whatever it accepts must encode back to the same bytes (the encoding is
// canonical for accepted input).
func FuzzParseHello(f *testing.F) {
	f.Add(appendHello(nil, sampleHello()))
	f.Add(appendHello(nil, &hello{Version: ProtocolVersion}))
	f.Add([]byte{ProtocolVersion, 0, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := parseHello(b)
		if err != nil {
			if !errors.Is(err, ErrProtocol) {
				t.Fatalf("error %v does not wrap ErrProtocol", err)
			}
			return
		}
		if again := appendHello(nil, h); !bytes.Equal(again, b) {
			// Varints have non-minimal encodings that decode to the same value; those
			// may re-encode shorter. Everything else must be identical.
			h2, err := parseHello(again)
			if err != nil || !reflect.DeepEqual(h, h2) {
				t.Fatalf("re-encoding changed the hello: %v", err)
			}
		}
	})
}
