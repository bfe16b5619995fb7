package edge_test

import (
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
