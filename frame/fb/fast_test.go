package fb_test

import (
	"testing"

	"github.com/cellsubstrate/cell/frame/fb"
	flatbuffers "github.com/google/flatbuffers/go"
)

// FuzzFastPathsAgree: on any buffer and any field slot, each fast check that
// generated verifiers run first (EnterTableOK, ScalarOK, StringOK, VectorOK,
// StringsOK) passes exactly when its full counterpart (EnterTable, Scalar, String,
// Vector, Strings) does, so the
// fast path never accepts what the full check rejects. Seeds are orders built by
// flatc's API, whole and with bytes flipped.
func FuzzFastPathsAgree(f *testing.F) {
	b := flatbuffers.NewBuilder(0)
	b.Finish(buildOrder(b, 3))
	good := b.FinishedBytes()
	f.Add(append([]byte(nil), good...), uint16(6), uint8(4), false)
	f.Add(append([]byte(nil), good...), uint16(16), uint8(4), true)
	for i := 0; i < len(good); i += 7 {
		bad := append([]byte(nil), good...)
		bad[i] ^= 0x85
		f.Add(bad, uint16(4+2*(i%8)), uint8(i%9), i%2 == 0)
	}
	f.Fuzz(func(t *testing.T, buf []byte, slot uint16, size uint8, required bool) {
		var v fb.Verifier
		v.Reset(buf, fb.Limits{})
		pos, err := v.Root("x.T", "")
		if err != nil {
			return
		}
		var w fb.Verifier
		w.Reset(buf, fb.Limits{MaxDepth: int(size%3) + 1}) // sometimes no depth left
		for range size % 3 {
			w.EnterTableOK(pos) // deeper, as for nested tables
		}
		_, ok := w.EnterTableOK(pos)
		w.Reset(buf, fb.Limits{MaxDepth: int(size%3) + 1})
		for range size % 3 {
			w.EnterTableOK(pos)
		}
		if _, err := w.EnterTable(pos, "x.T"); ok != (err == nil) {
			t.Fatalf("EnterTableOK %v, EnterTable %v", ok, err)
		}
		tab, err := v.EnterTable(pos, "x.T")
		if err != nil {
			return
		}
		if ok, err := v.ScalarOK(&tab, slot, uint32(size)), v.Scalar(&tab, slot, uint32(size), "x.T", "f"); ok != (err == nil) {
			t.Fatalf("ScalarOK %v, Scalar %v", ok, err)
		}
		if ok, err := v.StringOK(&tab, slot, required), v.String(&tab, slot, required, "x.T", "f"); ok != (err == nil) {
			t.Fatalf("StringOK %v, String %v", ok, err)
		}
		s1, n1, ok := v.VectorOK(&tab, slot, uint32(size), required)
		s2, n2, err := v.Vector(&tab, slot, uint32(size), required, "x.T", "f")
		if ok != (err == nil) || s1 != s2 || n1 != n2 {
			t.Fatalf("VectorOK %d %d %v, Vector %d %d %v", s1, n1, ok, s2, n2, err)
		}
		if size == 4 && ok {
			if ok, err := v.StringsOK(s1, n1), v.Strings(s1, n1, "x.T", "f"); ok != (err == nil) {
				t.Fatalf("StringsOK %v, Strings %v", ok, err)
			}
		}
	})
}
