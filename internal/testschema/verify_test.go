package testschema_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/cellsubstrate/cell/frame/fb"
	ts "github.com/cellsubstrate/cell/internal/testschema"
	flatbuffers "github.com/google/flatbuffers/go"
)

func sample(t testing.TB) []byte {
	t.Helper()
	buf := ts.BuildMonster(flatbuffers.NewBuilder(0), ts.SampleMonster())
	return append([]byte(nil), buf...)
}

func TestRoundTrip(t *testing.T) {
	buf := sample(t)
	var m ts.Monster
	if err := ts.ReadMonster(buf, &m); err != nil {
		t.Fatal(err)
	}
	if string(m.Name()) != "orc" || m.Hp() != 300 || *m.Level() != -42 || m.Tiny() != -128 {
		t.Errorf("scalars: name %q hp %d level %d tiny %d", m.Name(), m.Hp(), *m.Level(), m.Tiny())
	}
	if m.PayloadType() != ts.PayloadBox || m.AltType() != ts.PayloadMonster {
		t.Errorf("union types %v %v", m.PayloadType(), m.AltType())
	}
	var u flatbuffers.Table
	if !m.Alt(&u) {
		t.Fatal("alt missing")
	}
	var inner ts.Monster
	inner.Init(u.Bytes, u.Pos)
	var leaf ts.Leaf
	if !inner.Payload(&u) {
		t.Fatal("inner payload missing")
	}
	leaf.Init(u.Bytes, u.Pos)
	if string(leaf.Name()) != "deep" || leaf.Value() != 4 {
		t.Errorf("deep leaf = %q %d", leaf.Name(), leaf.Value())
	}
	var nl ts.Leaf
	if nb := m.NestedBytes(); len(nb) < 4 {
		t.Error("nested buffer missing")
	} else if nl.Init(nb, fb.RootPos(nb)); string(nl.Name()) != "nested leaf" || nl.Value() != 8 {
		t.Errorf("nested leaf = %q %d", nl.Name(), nl.Value())
	}
	if s := m.Seg(nil); s.Id() != 1<<60 || s.B(nil).Z() != 9 || s.Color() != ts.ColorGreen {
		t.Errorf("segment = %+v", s.UnPack())
	}
	// Re-encoding what was decoded gives a buffer that reads back the same.
	again := ts.BuildMonster(flatbuffers.NewBuilder(0), m.UnPack())
	var m2 ts.Monster
	if err := ts.ReadMonster(again, &m2); err != nil {
		t.Fatal(err)
	}
	if a, b := ts.TouchMonster(&m), ts.TouchMonster(&m2); a != b {
		t.Errorf("checksum of decoded %#x != re-encoded %#x", a, b)
	}
	// And the checksum sees a change in a deep field.
	s := ts.SampleMonster()
	s.Alt.Value.(*ts.MonsterT).Payload.Value.(*ts.LeafT).Value = 5
	changed := ts.BuildMonster(flatbuffers.NewBuilder(0), s)
	var m3 ts.Monster
	if err := ts.ReadMonster(changed, &m3); err != nil {
		t.Fatal(err)
	}
	if ts.TouchMonster(&m3) == ts.TouchMonster(&m) {
		t.Error("checksum blind to a deep change")
	}
}

func TestVerifyZeroAllocs(t *testing.T) {
	buf := sample(t)
	var m ts.Monster
	if n := testing.AllocsPerRun(100, func() {
		if err := ts.ReadMonster(buf, &m); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("ReadMonster: %v allocs, want 0", n)
	}
}

// table finds the table position and vtable of the root of buf.
func rootTable(buf []byte) (pos, vt uint32) {
	pos = binary.LittleEndian.Uint32(buf)
	vt = uint32(int64(pos) - int64(int32(binary.LittleEndian.Uint32(buf[pos:]))))
	return pos, vt
}

// fieldPos returns the absolute position of the field at vtable slot of the root.
func fieldPos(buf []byte, slot int) uint32 {
	pos, vt := rootTable(buf)
	return pos + uint32(binary.LittleEndian.Uint16(buf[vt+uint32(slot):]))
}

func build(f func(b *flatbuffers.Builder) flatbuffers.UOffsetT) []byte {
	b := flatbuffers.NewBuilder(0)
	b.FinishWithFileIdentifier(f(b), []byte(ts.Identifier))
	return b.FinishedBytes()
}

// Slots of Monster fields (4 + 2*id).
const (
	slotName    = 4
	slotScores  = 4 + 2*9
	slotPayload = 4 + 2*19 // payload_type is id 18, payload id 19
	slotNested  = 4 + 2*30
)

func TestVerifyErrors(t *testing.T) {
	good := sample(t)
	mutate := func(f func(b []byte)) []byte {
		b := append([]byte(nil), good...)
		f(b)
		return b
	}
	chain := func(depth int) []byte {
		return build(func(b *flatbuffers.Builder) flatbuffers.UOffsetT {
			var prev flatbuffers.UOffsetT
			for i := 0; i < depth; i++ {
				name := b.CreateString("m")
				ts.MonsterStart(b)
				ts.MonsterAddName(b, name)
				if prev != 0 {
					ts.MonsterAddFriend(b, prev)
				}
				prev = ts.MonsterEnd(b)
			}
			return prev
		})
	}
	cases := []struct {
		name  string
		buf   []byte
		lim   fb.Limits
		want  error
		field string
	}{
		{"empty", nil, fb.Limits{}, fb.ErrBufferSize, ""},
		{"three bytes", good[:3], fb.Limits{}, fb.ErrBufferSize, ""},
		{"identifier", mutate(func(b []byte) { b[4] = 'X' }), fb.Limits{}, fb.ErrIdentifier, ""},
		{"root past end", mutate(func(b []byte) { binary.LittleEndian.PutUint32(b, uint32(len(b))) }), fb.Limits{}, fb.ErrOutOfBounds, ""},
		{"vtable before buffer", mutate(func(b []byte) {
			pos, _ := rootTable(b)
			binary.LittleEndian.PutUint32(b[pos:], uint32(pos+8))
		}), fb.Limits{}, fb.ErrVTable, ""},
		{"odd vtable length", mutate(func(b []byte) {
			_, vt := rootTable(b)
			b[vt] |= 1
		}), fb.Limits{}, fb.ErrVTable, ""},
		{"table size past end", mutate(func(b []byte) {
			_, vt := rootTable(b)
			binary.LittleEndian.PutUint16(b[vt+2:], 0xfff0)
		}), fb.Limits{}, fb.ErrOutOfBounds, ""},
		{"field past table", mutate(func(b []byte) {
			_, vt := rootTable(b)
			binary.LittleEndian.PutUint16(b[vt+slotScores:], binary.LittleEndian.Uint16(b[vt+2:]))
		}), fb.Limits{}, fb.ErrOutOfBounds, "scores"},
		{"vector length", mutate(func(b []byte) {
			at := fieldPos(b, slotScores)
			vec := at + binary.LittleEndian.Uint32(b[at:])
			binary.LittleEndian.PutUint32(b[vec:], 1<<30)
		}), fb.Limits{}, fb.ErrOutOfBounds, "scores"},
		{"string offset", mutate(func(b []byte) {
			binary.LittleEndian.PutUint32(b[fieldPos(b, slotName):], 0x7ffffff0)
		}), fb.Limits{}, fb.ErrOutOfBounds, "name"},
		{"string terminator", mutate(func(b []byte) {
			at := fieldPos(b, slotName)
			s := at + binary.LittleEndian.Uint32(b[at:])
			b[s+4+3] = 'x' // "orc" is 3 bytes
		}), fb.Limits{}, fb.ErrUnterminated, "name"},
		{"required missing", build(func(b *flatbuffers.Builder) flatbuffers.UOffsetT {
			ts.MonsterStart(b)
			ts.MonsterAddHp(b, 1)
			return ts.MonsterEnd(b)
		}), fb.Limits{}, fb.ErrRequired, "name"},
		{"union type without value", build(func(b *flatbuffers.Builder) flatbuffers.UOffsetT {
			name := b.CreateString("m")
			ts.MonsterStart(b)
			ts.MonsterAddName(b, name)
			ts.MonsterAddPayloadType(b, ts.PayloadLeaf)
			return ts.MonsterEnd(b)
		}), fb.Limits{}, fb.ErrUnion, "payload"},
		{"union value without type", build(func(b *flatbuffers.Builder) flatbuffers.UOffsetT {
			leaf := (&ts.LeafT{Name: "l"}).Pack(b)
			name := b.CreateString("m")
			ts.MonsterStart(b)
			ts.MonsterAddName(b, name)
			ts.MonsterAddPayload(b, leaf)
			return ts.MonsterEnd(b)
		}), fb.Limits{}, fb.ErrUnion, "payload"},
		{"union member malformed", build(func(b *flatbuffers.Builder) flatbuffers.UOffsetT {
			ts.LeafStart(b) // a Leaf without its required name
			leaf := ts.LeafEnd(b)
			name := b.CreateString("m")
			ts.MonsterStart(b)
			ts.MonsterAddName(b, name)
			ts.MonsterAddPayloadType(b, ts.PayloadLeaf)
			ts.MonsterAddPayload(b, leaf)
			return ts.MonsterEnd(b)
		}), fb.Limits{}, fb.ErrRequired, "name"},
		{"nested too short", build(func(b *flatbuffers.Builder) flatbuffers.UOffsetT {
			nested := b.CreateByteVector([]byte{1, 2, 3})
			name := b.CreateString("m")
			ts.MonsterStart(b)
			ts.MonsterAddName(b, name)
			ts.MonsterAddNested(b, nested)
			return ts.MonsterEnd(b)
		}), fb.Limits{}, fb.ErrBufferSize, "nested"},
		{"nested malformed", build(func(b *flatbuffers.Builder) flatbuffers.UOffsetT {
			nb := flatbuffers.NewBuilder(0)
			ts.LeafStart(nb) // no required name
			nb.Finish(ts.LeafEnd(nb))
			nested := b.CreateByteVector(nb.FinishedBytes())
			name := b.CreateString("m")
			ts.MonsterStart(b)
			ts.MonsterAddName(b, name)
			ts.MonsterAddNested(b, nested)
			return ts.MonsterEnd(b)
		}), fb.Limits{}, fb.ErrRequired, "name"},
		{"nested offset past its vector", mutate(func(b []byte) {
			at := fieldPos(b, slotNested)
			vec := at + binary.LittleEndian.Uint32(b[at:])
			n := binary.LittleEndian.Uint32(b[vec:])
			binary.LittleEndian.PutUint32(b[vec+4:], n) // root offset == nested length
		}), fb.Limits{}, fb.ErrOutOfBounds, ""},
		{"depth", chain(fb.DefaultMaxDepth + 1), fb.Limits{}, fb.ErrDepth, ""},
		{"depth limit", chain(10), fb.Limits{MaxDepth: 9}, fb.ErrDepth, ""},
		{"table count", good, fb.Limits{MaxTables: 3}, fb.ErrTooManyTables, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := ts.VerifyMonsterLimits(c.buf, c.lim)
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			var fe *fb.Error
			if !errors.As(err, &fe) {
				t.Fatalf("err %T is not *fb.Error", err)
			}
			if fe.Field != c.field {
				t.Errorf("field = %q, want %q (%v)", fe.Field, c.field, err)
			}
		})
	}
	// The limits are limits, not constants: a deep but allowed chain passes.
	if err := ts.VerifyMonster(chain(fb.DefaultMaxDepth)); err != nil {
		t.Errorf("chain at max depth: %v", err)
	}
	if err := ts.VerifyMonsterLimits(chain(100), fb.Limits{MaxDepth: 100}); err != nil {
		t.Errorf("chain of 100 with MaxDepth 100: %v", err)
	}
}

// TestEveryMutation flips each byte of a valid buffer to several values and checks
// that the result is either rejected or readable through every accessor. It is the
// deterministic core of FuzzVerifyMonster.
func TestEveryMutation(t *testing.T) {
	good := sample(t)
	var accepted, rejected int
	buf := make([]byte, len(good))
	for i := range good {
		for _, v := range []byte{0, 0xff, good[i] ^ 1, good[i] + 4, 0x80, good[i] ^ 0x40} {
			copy(buf, good)
			buf[i] = v
			if readAll(t, buf) {
				accepted++
			} else {
				rejected++
			}
		}
	}
	for n := 0; n < len(good); n++ {
		if readAll(t, good[:n]) {
			t.Errorf("truncated to %d bytes accepted", n)
		}
	}
	t.Logf("%d mutations accepted and read, %d rejected", accepted, rejected)
	if rejected == 0 || accepted == 0 {
		t.Errorf("accepted %d, rejected %d: both should happen", accepted, rejected)
	}
}

// readAll verifies buf and, when it passes, reads all of it; a panic fails the test.
func readAll(t *testing.T, buf []byte) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("panic reading a verified buffer: %v\n%x", r, buf)
		}
	}()
	var m ts.Monster
	if ts.ReadMonster(buf, &m) != nil {
		return false
	}
	ts.TouchMonster(&m)
	m.UnPack()
	return true
}

func TestVerifyIsNotLenient(t *testing.T) {
	// A buffer whose bytes after the message are garbage is still valid: FlatBuffers
	// may carry padding. But a buffer cut short is not.
	good := sample(t)
	padded := append(append([]byte(nil), good...), bytes.Repeat([]byte{0xee}, 9)...)
	if err := ts.VerifyMonster(padded); err != nil {
		t.Errorf("padded: %v", err)
	}
	if err := ts.VerifyMonster(good[:len(good)-1]); err == nil {
		t.Error("buffer missing its last byte accepted")
	}
}
