package frame_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/cellsubstrate/cell/frame"
)

func sampleHeaders() []frame.Header {
	return []frame.Header{
		{Kind: frame.KindRequest, Method: 7, CallID: 1},
		{Kind: frame.KindReply, CallID: 1<<64 - 1},
		{Kind: frame.KindError, Aux: 42, CallID: 3},
		{Kind: frame.KindCancel, CallID: 9},
		{Kind: frame.KindPing, CallID: 5},
		{Kind: frame.KindPong, CallID: 5},
		{Kind: frame.KindGoAway, CallID: 100},
		{Kind: frame.KindHello},
		{Kind: frame.KindRequest, Flags: frame.FlagDeadline, Method: 1<<32 - 1, CallID: 2, Deadline: -1},
		{Kind: frame.KindRequest, Flags: frame.FlagDeadline | frame.FlagTrace, Method: 3, CallID: 4, Deadline: 1 << 62,
			Trace: frame.Trace{TraceID: [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, SpanID: [8]byte{8, 7, 6, 5, 4, 3, 2, 1}, Flags: 1}},
	}
}

func TestRoundTrip(t *testing.T) {
	payload := []byte("hello, frame")
	for _, h := range sampleHeaders() {
		if err := h.Check(); err != nil {
			t.Fatalf("%v: Check: %v", h.Kind, err)
		}
		buf := frame.AppendHeader([]byte("prefix"), &h, len(payload))
		buf = append(buf, payload...)
		buf = buf[len("prefix"):]
		if len(buf) != h.Len()+len(payload) {
			t.Fatalf("%v: encoded %d bytes, want %d", h.Kind, len(buf), h.Len()+len(payload))
		}
		var got frame.Header
		p, n, ok, err := frame.ParseInto(&got, append(buf, 0xAA, 0xBB), 0)
		if err != nil || !ok {
			t.Fatalf("%v: ParseInto ok=%v err=%v", h.Kind, ok, err)
		}
		if got != h || !bytes.Equal(p, payload) || n != len(buf) {
			t.Errorf("%v: got %+v %q n=%d, want %+v %q n=%d", h.Kind, got, p, n, h, payload, len(buf))
		}
		if cap(p) != len(p) {
			t.Errorf("%v: payload capacity %d exposes the next frame", h.Kind, cap(p))
		}
		// PutHeader writes the same bytes in place.
		dst := make([]byte, h.Len())
		if m := frame.PutHeader(dst, &h, len(payload)); m != h.Len() || !bytes.Equal(dst, buf[:m]) {
			t.Errorf("%v: PutHeader = %d %x, want %x", h.Kind, m, dst, buf[:h.Len()])
		}
	}
}

// Every strict prefix of a valid frame asks for more bytes and is not an error.
func TestNeedMoreBytes(t *testing.T) {
	for _, h := range sampleHeaders() {
		buf := append(frame.AppendHeader(nil, &h, 5), 1, 2, 3, 4, 5)
		for i := 0; i < len(buf); i++ {
			if _, n, ok, err := frame.ParseInto(new(frame.Header), buf[:i], 0); ok || err != nil || n != 0 {
				t.Fatalf("%v: prefix %d: ok=%v err=%v n=%d", h.Kind, i, ok, err, n)
			}
		}
	}
}

func TestMalformed(t *testing.T) {
	good := frame.AppendHeader(nil, &frame.Header{Kind: frame.KindRequest, Method: 1, CallID: 1}, 0)
	mut := func(f func(b []byte)) []byte {
		b := append([]byte(nil), good...)
		f(b)
		return b
	}
	cases := []struct {
		name string
		buf  []byte
		max  int
		want error
	}{
		{"version", mut(func(b []byte) { b[4] = 2 }), 0, frame.ErrVersion},
		{"kind zero", mut(func(b []byte) { b[5] = 0 }), 0, frame.ErrKind},
		{"kind past last", mut(func(b []byte) { b[5] = 9 }), 0, frame.ErrKind},
		{"undefined flag", mut(func(b []byte) { b[7] = 0x80 }), 0, frame.ErrFlags},
		{"length below header", mut(func(b []byte) { binary.LittleEndian.PutUint32(b, 31) }), 0, frame.ErrLength},
		{"length below trace", mut(func(b []byte) { b[6] = byte(frame.FlagTrace); binary.LittleEndian.PutUint32(b, 40) }), 0, frame.ErrLength},
		{"too large default", mut(func(b []byte) { binary.LittleEndian.PutUint32(b, frame.DefaultMaxSize+1) }), 0, frame.ErrTooLarge},
		{"too large configured", good, 31, frame.ErrTooLarge},
		// The size is refused from the first 4 bytes, before the rest arrives.
		{"too large early", []byte{0xff, 0xff, 0xff, 0xff}, 0, frame.ErrTooLarge},
		{"bad version early", []byte{32, 0, 0, 0, 9}, 0, frame.ErrVersion},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var h frame.Header
			_, _, ok, err := frame.ParseInto(&h, c.buf, c.max)
			if ok || !errors.Is(err, c.want) {
				t.Errorf("ok=%v err=%v, want %v", ok, err, c.want)
			}
			_, _, ok, err = frame.Decoder{MaxSize: c.max}.ParseInto(&h, c.buf)
			if ok || !errors.Is(err, c.want) {
				t.Errorf("Decoder: ok=%v err=%v, want %v", ok, err, c.want)
			}
		})
	}
	// The limit is inclusive.
	if _, _, ok, err := frame.ParseInto(new(frame.Header), good, len(good)); !ok || err != nil {
		t.Errorf("frame of exactly max size: ok=%v err=%v", ok, err)
	}
}

func TestCheck(t *testing.T) {
	for _, h := range []frame.Header{{Kind: 0}, {Kind: 200}, {Kind: frame.KindPing, Flags: 1 << 9}} {
		if h.Check() == nil {
			t.Errorf("Check(%+v) = nil", h)
		}
	}
}

func TestKindString(t *testing.T) {
	if s := frame.KindGoAway.String(); s != "goaway" {
		t.Errorf("KindGoAway = %q", s)
	}
	if s := frame.Kind(77).String(); s != "kind(77)" {
		t.Errorf("Kind(77) = %q", s)
	}
}

// Pin the wire layout: a C or Rust peer is written from docs/PROTOCOL.md, which
// gives these offsets.
func TestLayout(t *testing.T) {
	h := frame.Header{Kind: frame.KindError, Flags: frame.FlagDeadline | frame.FlagTrace, Method: 0x01020304,
		Aux: 0x05060708, CallID: 0x1112131415161718, Deadline: 0x2122232425262728,
		Trace: frame.Trace{TraceID: [16]byte{0x31, 0x32}, SpanID: [8]byte{0x41}, Flags: 0x51}}
	b := frame.AppendHeader(nil, &h, 3)
	want := []byte{
		67, 0, 0, 0, 1, 3, 3, 0, // length 64+3, version, kind, flags
		4, 3, 2, 1, 8, 7, 6, 5, // method, aux
		0x18, 0x17, 0x16, 0x15, 0x14, 0x13, 0x12, 0x11, // call id
		0x28, 0x27, 0x26, 0x25, 0x24, 0x23, 0x22, 0x21, // deadline
		0x31, 0x32, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // trace id
		0x41, 0, 0, 0, 0, 0, 0, 0, // span id
		0x51, 0, 0, 0, 0, 0, 0, 0, // trace flags, reserved
	}
	if !bytes.Equal(b, want) {
		t.Errorf("layout\n got %x\nwant %x", b, want)
	}
	if frame.HeaderSize != 32 || frame.TraceSize != 32 || frame.DefaultMaxSize != 4<<20 {
		t.Errorf("sizes changed: %d %d %d", frame.HeaderSize, frame.TraceSize, frame.DefaultMaxSize)
	}
}

func TestZeroAllocs(t *testing.T) {
	h := sampleHeaders()[9]
	buf := make([]byte, 0, 128)
	if n := testing.AllocsPerRun(100, func() {
		b := frame.AppendHeader(buf[:0], &h, 0)
		var got frame.Header
		if _, _, ok, err := frame.ParseInto(&got, b, 0); !ok || err != nil {
			t.Fatal(ok, err)
		}
	}); n != 0 {
		t.Errorf("%v allocs per encode+parse, want 0", n)
	}
}

func TestParseInto(t *testing.T) {
	want := sampleHeaders()[9]
	buf := append(frame.AppendHeader(nil, &want, 2), 'h', 'i')
	h := frame.Header{Kind: frame.KindPing, CallID: 77, Trace: frame.Trace{Flags: 9}}
	keep := h
	if _, _, ok, err := frame.ParseInto(&h, buf[:len(buf)-1], 0); ok || err != nil || h != keep {
		t.Fatalf("need-more: ok=%v err=%v, header changed to %+v", ok, err, h)
	}
	bad := append([]byte(nil), buf...)
	bad[4] = 7
	if _, _, ok, err := frame.ParseInto(&h, bad, 0); ok || !errors.Is(err, frame.ErrVersion) || h != keep {
		t.Fatalf("malformed: ok=%v err=%v, header changed to %+v", ok, err, h)
	}
	p, n, ok, err := frame.ParseInto(&h, buf, 0)
	if !ok || err != nil || h != want || string(p) != "hi" || n != len(buf) {
		t.Fatalf("whole: %+v %q %d %v %v", h, p, n, ok, err)
	}
	// A frame without a trace clears the trace a previous frame left in h.
	plain := frame.Header{Kind: frame.KindReply, CallID: 3}
	if _, _, ok, _ := frame.ParseInto(&h, frame.AppendHeader(nil, &plain, 0), 0); !ok || h != plain {
		t.Fatalf("reused header = %+v, want %+v", h, plain)
	}
}
