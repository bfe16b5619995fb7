package testschema

import (
	"strconv"

	flatbuffers "github.com/google/flatbuffers/go"
)

// Identifier is the schema's file_identifier; root Monster buffers carry it.
const Identifier = "CTST"

// SampleMonster returns a Monster that sets every field: nested tables, vectors of
// every kind, both unions (one holding a Monster), an optional scalar and
// non-default scalars, a nested FlatBuffer. Tests, benchmarks and fuzz seeds build from it.
func SampleMonster() *MonsterT {
	level := int32(-42)
	nb := flatbuffers.NewBuilder(0)
	nb.Finish((&LeafT{Name: "nested leaf", Value: 8}).Pack(nb))
	child := &MonsterT{Name: "child", Hp: 1, Scores: []int32{1, 2}, Active: true, Ratio: 0.5, Big: 1}
	return &MonsterT{
		Name:        "orc",
		Hp:          300,
		Mana:        -1,
		Pos:         &Vec3T{X: 1, Y: 2, Z: 3},
		Seg:         &SegmentT{A: &Vec3T{X: 4, Y: 5, Z: 6}, B: &Vec3T{X: 7, Y: 8, Z: 9}, Weight: -7, Color: ColorGreen, Id: 1 << 60},
		Color:       ColorRed,
		Perm:        PermRead | PermExec,
		Inventory:   []byte{0, 1, 2, 3, 250},
		SignedBytes: []int8{-128, 0, 127},
		Scores:      []int32{-1, 1 << 30, 7},
		Weights:     []float64{0.25, -1e300},
		Bools:       []bool{true, false, true},
		Colors:      []Color{ColorBlue, ColorRed, 99},
		Path:        []*Vec3T{{X: 1}, {Y: 2}, {Z: 3}},
		Segments:    []*SegmentT{{A: &Vec3T{X: 1}, B: &Vec3T{Y: 1}, Weight: 3, Color: ColorBlue, Id: 9}},
		Names:       []string{"a", "", "ünïcödé"},
		Children:    []*MonsterT{child, {Name: "second", Active: false, Big: 2}},
		Friend:      &MonsterT{Name: "friend", Leaf: &LeafT{Name: "friend's leaf", Value: 3}, Active: true, Big: 3},
		Leaf:        &LeafT{Name: "leaf", Value: 11},
		Payload:     &PayloadT{Type: PayloadBox, Value: &BoxT{Items: []*LeafT{{Name: "x", Value: 1}, {Name: "y", Value: 2}}, Label: "box"}},
		Alt:         &PayloadT{Type: PayloadMonster, Value: &MonsterT{Name: "inner", Payload: &PayloadT{Type: PayloadLeaf, Value: &LeafT{Name: "deep", Value: 4}}, Active: true, Big: 4}},
		Level:       &level,
		Active:      false,
		Ratio:       -2.5,
		Big:         12345,
		Tiny:        -128,
		Precise:     1.0 / 3,
		Nested:      nb.FinishedBytes(),
	}
}

// BuildMonster packs m into b as the root of a buffer with the file identifier
// and returns the finished bytes (owned by b).
func BuildMonster(b *flatbuffers.Builder, m *MonsterT) []byte {
	b.Reset()
	b.FinishWithFileIdentifier(m.Pack(b), []byte(Identifier))
	return b.FinishedBytes()
}

// BuildBox builds into b a Box whose leaves have 16-byte names, with as many leaves
// as it takes for the buffer to reach about size bytes (at least one leaf), and
// returns the finished bytes (owned by b). Each leaf is a table with its own vtable
// offset, a string and a scalar, so verifying the box does work in proportion to
// its size.
func BuildBox(b *flatbuffers.Builder, size int) []byte {
	const perLeaf, base = 40, 36 // bytes a leaf adds (table, string, vector slot); the rest
	n := (size - base) / perLeaf
	if n < 1 {
		n = 1
	}
	b.Reset()
	leaves := make([]flatbuffers.UOffsetT, n)
	for i := range leaves {
		name := b.CreateString("leaf-" + strconv.FormatInt(int64(1e10+i), 10))
		LeafStart(b)
		LeafAddName(b, name)
		LeafAddValue(b, int32(i))
		leaves[i] = LeafEnd(b)
	}
	BoxStartItemsVector(b, n)
	for i := n - 1; i >= 0; i-- {
		b.PrependUOffsetT(leaves[i])
	}
	items := b.EndVector(n)
	label := b.CreateString("box")
	BoxStart(b)
	BoxAddItems(b, items)
	BoxAddLabel(b, label)
	b.Finish(BoxEnd(b))
	return b.FinishedBytes()
}
