package fb_test

import (
	"strings"
	"testing"

	"github.com/cellsubstrate/cell/frame/fb"
	flatbuffers "github.com/google/flatbuffers/go"
)

// Reserve moves the head by n bytes, with byte 4 aligned, returns them zeroed,
// and leaves what was written before intact, on both of its paths (Place calls and
// the self-copying byte vector), in a Builder that must grow and in one that need not.
func TestReserve(t *testing.T) {
	for _, initial := range []int{0, 1024} {
		for _, n := range []int{4, 8, 12, 28, 32, 36, 64, 132, 1000} {
			for _, align := range []int{4, 8} {
				b := flatbuffers.NewBuilder(initial)
				for i := range b.Bytes {
					b.Bytes[i] = 0xEE // stale bytes, as in a reused ring slot
				}
				b.PrependUint8(0x5A) // something written before, 1 byte: forces padding
				before := b.Offset()
				r := fb.Reserve(b, align, n)
				if len(r) != n || cap(r) != n {
					t.Fatalf("n %d: len %d cap %d", n, len(r), cap(r))
				}
				if (int(b.Offset())-4)%align != 0 {
					t.Errorf("n %d align %d: region starts at offset %d: byte 4 not aligned", n, align, b.Offset())
				}
				if pad := int(b.Offset()-before) - n; pad < 0 || pad >= align {
					t.Errorf("n %d align %d: %d bytes of padding", n, align, pad)
				}
				h := int(b.Head())
				if &r[0] != &b.Bytes[h] {
					t.Errorf("n %d: region is not at the head", n)
				}
				for i, c := range b.Bytes[h:] {
					if i == len(b.Bytes[h:])-1 {
						if c != 0x5A {
							t.Errorf("n %d: earlier byte overwritten: %#x", n, c)
						}
					} else if c != 0 {
						t.Fatalf("n %d: byte %d of region and padding is %#x, want 0", n, i, c)
					}
				}
			}
		}
	}
}

// Strings written with PutString and PutStrings read back through flatbuffers'
// own accessors, and sizes add up.
func TestPutStrings(t *testing.T) {
	ss := []string{"", "a", "abc", "abcd", strings.Repeat("x", 100), "ünï"}
	n := 4 + fb.StringSize("top") + fb.StringsSize(ss)
	b := flatbuffers.NewBuilder(0)
	r := fb.Reserve(b, 4, n)
	fb.PutOffset(r, 0, 4)
	at := fb.PutString(r, 4, "top")
	if at != 4+fb.StringSize("top") {
		t.Fatalf("PutString returned %d", at)
	}
	vec := at
	if end := fb.PutStrings(r, at, ss); end != n {
		t.Fatalf("PutStrings ended at %d, want %d", end, n)
	}
	buf := b.Bytes[b.Head():]
	tab := flatbuffers.Table{Bytes: buf}
	if got := string(tab.ByteVector(0)); got != "top" {
		t.Errorf("string = %q", got)
	}
	if buf[4+4+3] != 0 {
		t.Error("string not NUL-terminated")
	}
	vlen := int(flatbuffers.GetUint32(buf[vec:]))
	if vlen != len(ss) {
		t.Fatalf("vector length %d", vlen)
	}
	for i, s := range ss {
		elem := flatbuffers.UOffsetT(vec + 4 + 4*i)
		if got := string(tab.ByteVector(elem)); got != s {
			t.Errorf("element %d = %q, want %q", i, got, s)
		}
	}
}
