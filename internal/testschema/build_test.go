package testschema_test

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	ts "github.com/cellsubstrate/cell/internal/testschema"
	flatbuffers "github.com/google/flatbuffers/go"
)

// The generated XBuild functions write the same tables as flatc's object API (Pack):
// every field kind of the test schema, random values, absent fields and defaults,
// nested tables and unions built with XBuild too.

// fastLeaf, fastBox, fastPayload and fastMonster build with the generated XBuild
// functions what t.Pack builds with flatc's API; vectors of structs and of tables
// are built with flatc's API, as XBuild takes them as offsets.
func fastLeaf(b *flatbuffers.Builder, t *ts.LeafT) flatbuffers.UOffsetT {
	if t == nil {
		return 0
	}
	return ts.LeafBuild(b, &ts.LeafFields{Name: t.Name, Value: t.Value})
}

func fastBox(b *flatbuffers.Builder, t *ts.BoxT) flatbuffers.UOffsetT {
	if t == nil {
		return 0
	}
	f := ts.BoxFields{Label: t.Label}
	if t.Items != nil {
		offs := make([]flatbuffers.UOffsetT, len(t.Items))
		for i, x := range t.Items {
			offs[i] = fastLeaf(b, x)
		}
		f.Items = b.CreateVectorOfTables(offs)
	}
	return ts.BoxBuild(b, &f)
}

func fastPayload(b *flatbuffers.Builder, t *ts.PayloadT) (ts.Payload, flatbuffers.UOffsetT) {
	if t == nil {
		return ts.PayloadNONE, 0
	}
	switch v := t.Value.(type) {
	case *ts.LeafT:
		return t.Type, fastLeaf(b, v)
	case *ts.BoxT:
		return t.Type, fastBox(b, v)
	case *ts.MonsterT:
		return t.Type, fastMonster(b, v)
	}
	return ts.PayloadNONE, 0
}

func fastMonster(b *flatbuffers.Builder, t *ts.MonsterT) flatbuffers.UOffsetT {
	if t == nil {
		return 0
	}
	f := ts.MonsterFields{
		Name: t.Name, Hp: t.Hp, Mana: t.Mana, Pos: t.Pos, Seg: t.Seg, Color: t.Color, Perm: t.Perm,
		Inventory: t.Inventory, SignedBytes: t.SignedBytes, Scores: t.Scores, Weights: t.Weights,
		Bools: t.Bools, Colors: t.Colors, Names: t.Names, Level: t.Level, Active: t.Active,
		Ratio: t.Ratio, Big: t.Big, Tiny: t.Tiny, Precise: t.Precise, Nested: t.Nested,
	}
	if t.Path != nil {
		ts.MonsterStartPathVector(b, len(t.Path))
		for i := len(t.Path) - 1; i >= 0; i-- {
			t.Path[i].Pack(b)
		}
		f.Path = b.EndVector(len(t.Path))
	}
	if t.Segments != nil {
		ts.MonsterStartSegmentsVector(b, len(t.Segments))
		for i := len(t.Segments) - 1; i >= 0; i-- {
			t.Segments[i].Pack(b)
		}
		f.Segments = b.EndVector(len(t.Segments))
	}
	if t.Children != nil {
		offs := make([]flatbuffers.UOffsetT, len(t.Children))
		for i, c := range t.Children {
			offs[i] = fastMonster(b, c)
		}
		f.Children = b.CreateVectorOfTables(offs)
	}
	f.Friend = fastMonster(b, t.Friend)
	f.Leaf = fastLeaf(b, t.Leaf)
	f.PayloadType, f.Payload = fastPayload(b, t.Payload)
	f.AltType, f.Alt = fastPayload(b, t.Alt)
	return ts.MonsterBuild(b, &f)
}

func randStr(r *rand.Rand) string {
	n := r.IntN(12)
	if r.IntN(10) == 0 {
		n = 100 + r.IntN(200)
	}
	chars := []rune("abcXYZ 0é")
	b := make([]rune, n)
	for i := range b {
		b[i] = chars[r.IntN(len(chars))]
	}
	return string(b)
}

func randVec3(r *rand.Rand) *ts.Vec3T {
	if r.IntN(2) == 0 {
		return nil
	}
	return &ts.Vec3T{X: r.Float32(), Y: -r.Float32(), Z: float32(r.IntN(5))}
}

// randMonster returns a Monster whose fields are, each at random, absent, equal to
// the default, or set; depth bounds the nesting.
func randMonster(r *rand.Rand, depth int) *ts.MonsterT {
	pick := func() bool { return r.IntN(2) == 0 }
	m := &ts.MonsterT{Name: "m" + randStr(r), Hp: 100, Mana: 150, Color: ts.ColorBlue, Perm: ts.PermRead,
		Active: true, Ratio: 0.5, Big: 18446744073709551615, Tiny: -3, Precise: 3.25}
	if pick() {
		m.Hp = int16(r.Uint32())
	}
	if pick() {
		m.Mana = int16(r.IntN(3)) + 149
	}
	m.Pos = randVec3(r)
	if pick() {
		m.Seg = &ts.SegmentT{A: &ts.Vec3T{Y: r.Float32()}, B: &ts.Vec3T{X: 1}, Weight: int16(r.Uint32()), Color: ts.Color(r.IntN(7)), Id: r.Uint64()}
	}
	if pick() {
		m.Color = ts.Color(r.IntN(7))
	}
	if pick() {
		m.Perm = ts.Perm(r.IntN(8))
	}
	if pick() {
		m.Inventory = []byte(randStr(r))
	}
	if pick() {
		m.SignedBytes = []int8{int8(r.Uint32()), -1}[:r.IntN(3)]
	}
	if pick() {
		m.Scores = make([]int32, r.IntN(9))
		for i := range m.Scores {
			m.Scores[i] = int32(r.Uint32())
		}
	}
	if pick() {
		m.Weights = []float64{r.NormFloat64(), 1e300, -0.0}[:r.IntN(4)]
	}
	if pick() {
		m.Bools = []bool{true, false, true}[:r.IntN(4)]
	}
	if pick() {
		m.Colors = []ts.Color{ts.ColorGreen, 200}[:r.IntN(3)]
	}
	if pick() {
		m.Path = []*ts.Vec3T{{X: 1}, {Y: r.Float32()}}[:r.IntN(3)]
	}
	if pick() {
		m.Segments = []*ts.SegmentT{{A: &ts.Vec3T{}, B: &ts.Vec3T{Z: 2}, Id: r.Uint64()}}[:r.IntN(2)]
	}
	if pick() {
		m.Names = make([]string, r.IntN(4))
		for i := range m.Names {
			m.Names[i] = randStr(r)
		}
	}
	if depth > 0 && pick() {
		m.Children = []*ts.MonsterT{randMonster(r, depth-1), randMonster(r, depth-1)}[:r.IntN(3)]
	}
	if depth > 0 && pick() {
		m.Friend = randMonster(r, depth-1)
	}
	if pick() {
		m.Leaf = &ts.LeafT{Name: randStr(r), Value: int32(r.IntN(3)) + 6}
	}
	payload := func() *ts.PayloadT {
		switch r.IntN(4) {
		case 1:
			return &ts.PayloadT{Type: ts.PayloadLeaf, Value: &ts.LeafT{Name: randStr(r), Value: 7}}
		case 2:
			return &ts.PayloadT{Type: ts.PayloadBox, Value: &ts.BoxT{Items: []*ts.LeafT{{Name: "i"}}, Label: "L" + randStr(r)}}
		case 3:
			if depth > 0 {
				return &ts.PayloadT{Type: ts.PayloadMonster, Value: randMonster(r, depth-1)}
			}
		}
		return nil
	}
	m.Payload, m.Alt = payload(), payload()
	if pick() {
		lv := int32(r.IntN(3)) - 1
		m.Level = &lv
	}
	if pick() {
		m.Active = false
	}
	if pick() {
		m.Ratio = r.Float32()
	}
	if pick() {
		m.Big = r.Uint64() >> r.IntN(64)
	}
	if pick() {
		m.Tiny = int8(r.Uint32())
	}
	if pick() {
		m.Precise = r.Float64()
	}
	if pick() {
		nb := flatbuffers.NewBuilder(0)
		nb.Finish(ts.LeafBuild(nb, &ts.LeafFields{Name: "nested", Value: 9}))
		m.Nested = nb.FinishedBytes()
	}
	return m
}

// monsterSlots lists which vtable slots of the root Monster of buf hold a field.
func monsterSlots(buf []byte) []bool {
	t := flatbuffers.Table{Bytes: buf, Pos: flatbuffers.GetUOffsetT(buf)}
	var out []bool
	for slot := flatbuffers.VOffsetT(4); slot < 4+2*31; slot += 2 {
		out = append(out, t.Offset(slot) != 0)
	}
	return out
}

func buildBoth(m *ts.MonsterT) (fast, ref []byte) {
	fb := flatbuffers.NewBuilder(0)
	fb.FinishWithFileIdentifier(fastMonster(fb, m), []byte(ts.Identifier))
	return fb.FinishedBytes(), ts.BuildMonster(flatbuffers.NewBuilder(0), m)
}

func TestMonsterBuildMatchesPack(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	cases := []*ts.MonsterT{ts.SampleMonster(), {Name: "defaults", Hp: 100, Mana: 150, Color: ts.ColorBlue,
		Perm: ts.PermRead, Active: true, Ratio: 0.5, Big: 18446744073709551615, Tiny: -3, Precise: 3.25}}
	for i := 0; i < 400; i++ {
		cases = append(cases, randMonster(r, 2))
	}
	for i, m := range cases {
		fast, ref := buildBoth(m)
		var a, b ts.Monster
		if err := ts.ReadMonster(fast, &a); err != nil {
			t.Fatalf("case %d: MonsterBuild's buffer fails verification: %v", i, err)
		}
		if err := ts.ReadMonster(ref, &b); err != nil {
			t.Fatalf("case %d: Pack's buffer fails verification: %v", i, err)
		}
		// big is a ulong with a default of 2^64-1, which flatc's binary schema gives
		// as 0: MonsterBuild always writes it, Pack only when it is not the default.
		const bigSlot = 26
		sa, sb := monsterSlots(fast), monsterSlots(ref)
		if !sa[bigSlot] {
			t.Fatalf("case %d: MonsterBuild left big out", i)
		}
		sa[bigSlot] = sb[bigSlot]
		if !reflect.DeepEqual(sa, sb) {
			t.Fatalf("case %d: present fields\n%v, Pack's\n%v", i, sa, sb)
		}
		ua, ub := a.UnPack(), b.UnPack()
		if !reflect.DeepEqual(ua, ub) {
			t.Fatalf("case %d: read back\n%+v, Pack's\n%+v", i, ua, ub)
		}
		if ts.TouchMonster(&a) != ts.TouchMonster(&b) {
			t.Fatalf("case %d: checksums differ", i)
		}
	}
}

// flatc (C++) verifies and reads buffers built with MonsterBuild, and prints the
// same JSON for them as for the same monster built by Pack: the same values, defaults
// included (TestMonsterBuildMatchesPack checks which fields are present).
func TestCppReadsMonsterBuild(t *testing.T) {
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(5, 6))
	ms := []*ts.MonsterT{ts.SampleMonster(), randMonster(r, 2), randMonster(r, 2), randMonster(r, 2)}
	var args []string
	for i, m := range ms {
		fast, ref := buildBoth(m)
		for kind, buf := range map[string][]byte{"fast": fast, "ref": ref} {
			name := filepath.Join(dir, kind+string(rune('0'+i))+".ctst")
			if err := os.WriteFile(name, buf, 0o644); err != nil {
				t.Fatal(err)
			}
			args = append(args, name)
		}
	}
	flatc(t, append([]string{"--json", "--strict-json", "--defaults-json", "-o", dir, "testschema.fbs", "--"}, args...)...)
	for i := range ms {
		fast, err1 := os.ReadFile(filepath.Join(dir, "fast"+string(rune('0'+i))+".json"))
		ref, err2 := os.ReadFile(filepath.Join(dir, "ref"+string(rune('0'+i))+".json"))
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if !bytes.Equal(fast, ref) || len(fast) < 20 {
			t.Errorf("monster %d: C++ reads MonsterBuild's buffer as\n%s\nand Pack's as\n%s", i, fast, ref)
		}
	}
}
