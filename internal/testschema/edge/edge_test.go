package edge_test

import (
	"reflect"
	"testing"

	"github.com/cellsubstrate/cell/internal/testschema/edge"
	flatbuffers "github.com/google/flatbuffers/go"
)

func TestEdge(t *testing.T) {
	b := flatbuffers.NewBuilder(0)
	in := &edge.NodeT{Name: "x", Big: edge.BigMax, Flags: edge.Flags8H | edge.Flags8A, Small: edge.SmallHi,
		Kids: []*edge.NodeT{{Name: "k", Big: edge.BigZero}},
		O:    &edge.OuterT{I: &edge.InnerT{A: -1, B: -2}, C: edge.BigMax},
		Os:   []*edge.OuterT{{I: &edge.InnerT{A: 3}, C: 7}},
		S:    []edge.Small{edge.SmallLo, 5}, N: &edge.NodeT{Name: "n"}, Type: 9, Field2x: 10}
	b.Finish(in.Pack(b))
	var x edge.Node
	if err := edge.ReadNode(b.FinishedBytes(), &x); err != nil {
		t.Fatal(err)
	}
	if x.Big() != edge.BigMax || x.O(nil).I(nil).B() != -2 || x.Type() != 9 || x.Field2x() != 10 || x.Flags() != edge.Flags8H|edge.Flags8A {
		t.Errorf("read back %+v", x.UnPack())
	}
	if edge.TouchNode(&x) == 0 {
		t.Error("zero checksum")
	}
	for _, c := range []struct {
		ok, want bool
	}{
		{edge.BigMax.Known(), true}, {edge.Big(5).Known(), false},
		{(edge.Flags8H | edge.Flags8C).Known(), true}, {edge.Flags8(8).Known(), false},
		{edge.SmallLo.Known(), true}, {edge.Small(0).Known(), false},
	} {
		if c.ok != c.want {
			t.Errorf("Known cases: %+v", c)
		}
	}
}

// NodeBuild writes what Pack writes for the corner cases: a ulong enum defaulting to
// 2^64-1 (always written, since the binary schema gives its default as 0), a short
// enum defaulting to -32768, structs of structs, a vector of short enums.
func TestNodeBuild(t *testing.T) {
	for _, in := range []*edge.NodeT{
		{Name: "x", Big: edge.BigMax, Flags: edge.Flags8H | edge.Flags8A, Small: edge.SmallHi,
			O: &edge.OuterT{I: &edge.InnerT{A: -1, B: -2}, C: edge.BigMax}, S: []edge.Small{edge.SmallLo, 5}, Type: 9, Field2x: 10},
		{Name: "", Big: edge.BigZero, Small: edge.SmallLo}, // defaults: all but name and big absent
	} {
		ref := flatbuffers.NewBuilder(0)
		ref.Finish(in.Pack(ref))
		b := flatbuffers.NewBuilder(0)
		b.Finish(edge.NodeBuild(b, &edge.NodeFields{Name: in.Name, Big: in.Big, Flags: in.Flags, Small: in.Small,
			O: in.O, S: in.S, Type: in.Type, Field2x: in.Field2x}))
		var x, y edge.Node
		if err := edge.ReadNode(b.FinishedBytes(), &x); err != nil {
			t.Fatal(err)
		}
		if err := edge.ReadNode(ref.FinishedBytes(), &y); err != nil {
			t.Fatal(err)
		}
		if got, want := x.UnPack(), y.UnPack(); !reflect.DeepEqual(got, want) {
			t.Errorf("NodeBuild read back %+v, Pack %+v", got, want)
		}
		tab := flatbuffers.Table{Bytes: b.FinishedBytes(), Pos: flatbuffers.GetUOffsetT(b.FinishedBytes())}
		for slot, want := range map[flatbuffers.VOffsetT]bool{6: true, 10: in.Small != edge.SmallLo, 12: in.O != nil, 22: in.Type != 0} {
			if got := tab.Offset(slot) != 0; got != want {
				t.Errorf("%+v: field at slot %d present %v, want %v", in, slot, got, want)
			}
		}
	}
}
