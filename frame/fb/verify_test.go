package fb_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/cellsubstrate/cell/frame/fb"
)

func TestErrorMessage(t *testing.T) {
	e := &fb.Error{Type: "orders.Order", Field: "tags", Index: 2, Pos: 120, Err: fb.ErrOutOfBounds}
	if got := e.Error(); got != "fb: orders.Order.tags[2] at byte 120: fb: out of bounds" {
		t.Errorf("Error() = %q", got)
	}
	if !errors.Is(e, fb.ErrOutOfBounds) {
		t.Error("errors.Is does not see the sentinel")
	}
	e = &fb.Error{Type: "x.T", Index: -1, Err: fb.ErrDepth}
	if got := e.Error(); !strings.HasPrefix(got, "fb: x.T at byte 0") {
		t.Errorf("Error() = %q", got)
	}
}

// The runtime on hand-made buffers, independent of any generated code.
func TestVerifierRuntime(t *testing.T) {
	// A table at 8 with a 6-byte vtable at 0 holding one field at table offset 4:
	// a uint32 of value 7.
	buf := []byte{
		6, 0, 8, 0, 4, 0, 0, 0, // vtable: len 6, table size 8, field 0 at +4; pad
		8, 0, 0, 0, // soffset: table at 8, vtable at 8-8 = 0
		7, 0, 0, 0, // the field
	}
	root := append([]byte{12, 0, 0, 0}, buf...) // root offset -> table at 4+8 = 12
	// Shift the hand-made layout by the 4-byte root offset.
	var v fb.Verifier
	v.Reset(root, fb.Limits{})
	pos, err := v.Root("T", "")
	if err != nil || pos != 12 {
		t.Fatalf("Root = %d, %v", pos, err)
	}
	tab, err := v.EnterTable(pos, "T")
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Scalar(&tab, 4, 4, "T", "f"); err != nil {
		t.Errorf("4-byte field: %v", err)
	}
	if err := v.Scalar(&tab, 4, 8, "T", "f"); !errors.Is(err, fb.ErrOutOfBounds) {
		t.Errorf("8-byte read of a field at the table's end: %v", err)
	}
	if err := v.Scalar(&tab, 6, 8, "T", "absent"); err != nil {
		t.Errorf("absent field (slot past the vtable): %v", err)
	}
	if _, ok, err := v.Offset(&tab, 6, true, "T", "req"); ok || !errors.Is(err, fb.ErrRequired) {
		t.Errorf("required absent: ok %v err %v", ok, err)
	}
	// As an offset, the field's value 7 points to 16+7 = 23, past the 20-byte buffer.
	if _, _, err := v.Offset(&tab, 4, false, "T", "f"); !errors.Is(err, fb.ErrOutOfBounds) {
		t.Errorf("offset past the end: %v", err)
	}
	v.Leave()

	v.Reset(root, fb.Limits{MaxDepth: 1})
	if _, err := v.EnterTable(12, "T"); err != nil {
		t.Fatal(err)
	}
	if _, err := v.EnterTable(12, "T"); !errors.Is(err, fb.ErrDepth) {
		t.Errorf("second level with MaxDepth 1: %v", err)
	}
}

func TestRootErrors(t *testing.T) {
	var v fb.Verifier
	for _, c := range []struct {
		buf   []byte
		ident string
		want  error
	}{
		{nil, "", fb.ErrBufferSize},
		{[]byte{1, 2, 3}, "", fb.ErrBufferSize},
		{[]byte{8, 0, 0, 0, 'A', 'B'}, "ABCD", fb.ErrBufferSize},
		{[]byte{8, 0, 0, 0, 'A', 'B', 'C', 'E'}, "ABCD", fb.ErrIdentifier},
	} {
		v.Reset(c.buf, fb.Limits{})
		if _, err := v.Root("T", c.ident); !errors.Is(err, c.want) {
			t.Errorf("Root(%x, %q) = %v, want %v", c.buf, c.ident, err, c.want)
		}
	}
}
