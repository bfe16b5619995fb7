package genverify

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/cellsubstrate/cell/internal/schema"
)

// maxImage bounds the stack image of a generated XBuild: a table whose vtable and
// inline fields need more bytes gets no XBuild (flatc's XStart/XAdd/XEnd still work).
const maxImage = 1024

// Build returns the Go source of a fast builder per table the main schema file
// declares: an XFields struct with one member per field, and XBuild(b, &f), which
// writes the table in one step on the same *flatbuffers.Builder that flatc's
// XStart/XAdd*/XEnd use, so the two can be mixed in one message.
//
// XBuild lays the table out at generation time: the table with every field at a
// fixed place (largest alignment first), then its vtable. It fills that image on
// the stack, makes room with one Prep and copies it with PlaceTable, instead of a
// Prep, a Place and a Slot per field and a vtable written entry by entry and
// searched for a duplicate. Fields follow FlatBuffers' rules: a scalar equal to its
// default, an empty string, a nil vector and a zero offset are absent (vtable entry
// 0, so readers return the default; their bytes stay in the table, unreferenced),
// an optional scalar is present when its pointer is not nil. One exception: a ulong
// field whose default reads as 0 is always written, since flatc's binary schema
// stores defaults of 2^63 and more as 0 too. Every table gets its own vtable: no
// deduplication.
//
// Tables whose image exceeds maxImage bytes get no XBuild; the output says why.
func Build(s *schema.Schema, cfg Config) ([]byte, error) {
	objs := mainObjects(s)
	if err := check(s, objs); err != nil {
		return nil, err
	}
	g := &gen{s: s}
	var body gen
	body.s = s
	usesMath, usesFB, some := false, false, false
	for _, o := range objs {
		if o.IsStruct {
			continue
		}
		l := layoutOf(o)
		if l.size > maxImage {
			body.p("")
			body.p("// %s has no %sBuild: its image would be %d bytes (more than %d).", goName(o.Name), goName(o.Name), l.size, maxImage)
			continue
		}
		m, f := body.build(o, l)
		usesMath, usesFB, some = usesMath || m, usesFB || f, true
	}
	structs := usedStructs(objs)
	for _, o := range structs {
		usesMath = body.putStruct(o) || usesMath
	}
	if !some {
		return nil, nil
	}
	imports := []string{`"encoding/binary"`}
	if usesMath {
		imports = append(imports, `"math"`)
	}
	imports = append(imports, "", `flatbuffers "github.com/google/flatbuffers/go"`)
	if usesFB {
		imports = append(imports, "", fmt.Sprintf("%q", RuntimeImport))
	}
	header(g, cfg, s, imports...)
	g.buf.Write(body.buf.Bytes())
	return g.formatted()
}

// slotOf is one field's place in a table image.
type slotOf struct {
	f     *schema.Field
	pos   int // byte index of the field in the image
	size  int
	align int
}

// layout is a table image, at the start of the region XBuild reserves: the table
// (its soffset at byte 0, then the fields, largest alignment first), then its
// vtable, which the soffset points forward to (a negative soffset, as for a vtable
// the Builder shares with an earlier table). Reserve aligns byte 4 of the region to
// the table's alignment, so the fields follow the soffset without a gap, and the
// root offset Finish writes below a root table needs no padding either.
type layout struct {
	vt      int // image index of the vtable
	vtLen   int // vtable bytes: 4 + 2 per field id, deprecated ones included
	tblSize int // the table's inline size, soffset included
	size    int // image bytes, a multiple of 4
	align   int // the table's alignment: the largest field's, at least 4
	fields  []slotOf
}

func fieldShape(f *schema.Field) (size, align int) {
	t := f.Type
	if t.IsStruct() {
		return t.Object.ByteSize, max(1, t.Object.MinAlign)
	}
	return t.InlineSize(), t.InlineSize()
}

func layoutOf(o *schema.Object) layout {
	var l layout
	ids := 0
	for _, f := range o.Fields {
		ids = max(ids, int(f.ID)+1)
		if f.Deprecated {
			continue
		}
		size, align := fieldShape(f)
		l.fields = append(l.fields, slotOf{f: f, size: size, align: align})
	}
	sort.SliceStable(l.fields, func(i, j int) bool {
		a, b := l.fields[i], l.fields[j]
		if a.align != b.align {
			return a.align > b.align
		}
		return a.f.ID < b.f.ID
	})
	l.vtLen = 4 + 2*ids
	l.align = 4
	for _, s := range l.fields {
		l.align = max(l.align, s.align)
	}
	// Byte 4 is aligned to l.align, and every field's size is a multiple of its
	// alignment, so in decreasing alignment each field lands aligned.
	pos := 4
	for i := range l.fields {
		a := l.fields[i].align
		pos = 4 + (pos-4+a-1)/a*a
		l.fields[i].pos = pos
		pos += l.fields[i].size
	}
	l.tblSize = pos
	l.vt = (pos + 1) &^ 1
	l.size = (l.vt + l.vtLen + 3) &^ 3
	return l
}

// usedStructs returns the structs that tables of objs hold inline, and the structs
// those hold, each once, in schema order.
func usedStructs(objs []*schema.Object) []*schema.Object {
	seen := map[*schema.Object]bool{}
	var walk func(o *schema.Object)
	walk = func(o *schema.Object) {
		for _, f := range o.Fields {
			if f.Type.IsStruct() && !seen[f.Type.Object] {
				seen[f.Type.Object] = true
				walk(f.Type.Object)
			}
		}
	}
	for _, o := range objs {
		if !o.IsStruct && layoutOf(o).size <= maxImage {
			for _, f := range o.Fields {
				if !f.Deprecated && f.Type.IsStruct() && !seen[f.Type.Object] {
					seen[f.Type.Object] = true
					walk(f.Type.Object)
				}
			}
		}
	}
	var out []*schema.Object
	for _, o := range objs {
		if o.IsStruct && seen[o] {
			out = append(out, o)
		}
	}
	return out
}

// goScalar returns the Go type flatc uses for a scalar of base type b, or for the
// enum e when it is not nil.
func goScalar(b schema.BaseType, e *schema.Enum) string {
	if e != nil {
		return goName(e.Name)
	}
	switch b {
	case schema.Bool:
		return "bool"
	case schema.Byte:
		return "int8"
	case schema.UByte, schema.UType:
		return "uint8"
	case schema.Short:
		return "int16"
	case schema.UShort:
		return "uint16"
	case schema.Int:
		return "int32"
	case schema.UInt:
		return "uint32"
	case schema.Long:
		return "int64"
	case schema.ULong:
		return "uint64"
	case schema.Float:
		return "float32"
	case schema.Double:
		return "float64"
	}
	panic(fmt.Sprintf("genverify: %v is not a scalar", b))
}

// memberType returns the XFields member type of f.
func memberType(f *schema.Field) string {
	t := f.Type
	switch {
	case t.Base.IsScalar() && f.Optional:
		return "*" + goScalar(t.Base, t.Enum)
	case t.Base.IsScalar():
		return goScalar(t.Base, t.Enum)
	case t.IsStruct():
		return "*" + goName(t.Object.Name) + "T"
	case t.Base == schema.String:
		return "string"
	case t.Base == schema.Vector && t.Element == schema.String:
		return "[]string"
	case t.Base == schema.Vector && t.Element.IsScalar():
		return "[]" + goScalar(t.Element, t.Enum)
	}
	return "flatbuffers.UOffsetT" // tables, unions, vectors of tables or structs
}

// putScalar returns the statement storing the scalar x of base type b at img[at:].
func putScalar(img string, at int, b schema.BaseType, x string) (stmt string, usesMath bool) {
	switch b {
	case schema.Bool:
		return fmt.Sprintf("if %s { %s[%d] = 1 }", x, img, at), false
	case schema.Byte, schema.UByte, schema.UType:
		return fmt.Sprintf("%s[%d] = byte(%s)", img, at, x), false
	case schema.Short, schema.UShort:
		return fmt.Sprintf("binary.LittleEndian.PutUint16(%s[%d:], uint16(%s))", img, at, x), false
	case schema.Int, schema.UInt:
		return fmt.Sprintf("binary.LittleEndian.PutUint32(%s[%d:], uint32(%s))", img, at, x), false
	case schema.Long, schema.ULong:
		return fmt.Sprintf("binary.LittleEndian.PutUint64(%s[%d:], uint64(%s))", img, at, x), false
	case schema.Float:
		return fmt.Sprintf("binary.LittleEndian.PutUint32(%s[%d:], math.Float32bits(%s))", img, at, x), true
	case schema.Double:
		return fmt.Sprintf("binary.LittleEndian.PutUint64(%s[%d:], math.Float64bits(%s))", img, at, x), true
	}
	panic(fmt.Sprintf("genverify: %v is not a scalar", b))
}

// differs returns the condition under which the scalar x differs from f's default,
// as the Builder's PrependXSlot(o, x, d) tests it (x != d); "" when the field is
// always written: a NaN default, which nothing equals, and a ulong default that the
// binary schema cannot tell from 0.
func differs(f *schema.Field, x string) (cond string, usesMath bool) {
	b := f.Type.Base
	switch {
	case b == schema.Bool:
		if f.DefaultInt != 0 {
			return "!" + x, false
		}
		return x, false
	case b == schema.Float || b == schema.Double:
		d := f.DefaultReal
		switch {
		case math.IsNaN(d):
			return "", false
		case math.IsInf(d, 0):
			return fmt.Sprintf("%s != %s(math.Inf(%d))", x, goScalar(b, nil), int(math.Copysign(1, d))), true
		}
		return fmt.Sprintf("%s != %s", x, strconv.FormatFloat(d, 'g', -1, 64)), false
	case b == schema.ULong && f.DefaultInt == 0:
		// flatc's binary schema stores a default of 2^63 or more as 0 (it does
		// not fit default_integer), so 0 may mean either: write the value always,
		// which every reader reads back exactly.
		return "", false
	case unsigned(b):
		return fmt.Sprintf("%s != %d", x, uint64(f.DefaultInt)), false
	}
	return fmt.Sprintf("%s != %d", x, f.DefaultInt), false
}

// build writes XFields and XBuild for the table o laid out as l. It reports whether
// the code uses package math and package fb.
func (g *gen) build(o *schema.Object, l layout) (usesMath, usesFB bool) {
	name := goName(o.Name)
	g.p("")
	g.p("// %sFields holds the fields of a table %s for %sBuild. Zero values are", name, name, name)
	g.p("// absent: a scalar equal to its default, an empty string, a nil slice, a nil")
	g.p("// pointer and a zero offset (tables, unions and vectors of tables or structs,")
	g.p("// built beforehand with the same Builder) are left out, so readers see the")
	g.p("// default. A required string is written even when empty.")
	for _, f := range o.Fields {
		if !f.Deprecated && f.Type.Base == schema.ULong && f.DefaultInt == 0 {
			g.p("// %s is always written: flatc's binary schema gives its default as 0,", camel(f.Name))
			g.p("// as it does for defaults of 2^63 and more, so cellgen cannot tell.")
		}
	}
	g.p("type %sFields struct {", name)
	for _, f := range o.Fields {
		if f.Deprecated {
			continue
		}
		g.p("%s %s", camel(f.Name), memberType(f))
	}
	g.p("}")
	g.p("")
	g.p("// %sBuild writes the table %s holding f into b, after the strings and scalar", name, name)
	g.p("// vectors f holds, and returns its offset: the same fields as %sStart, the", name)
	g.p("// %sAdd functions and %sEnd would write, in one step. b must not be inside", name, name)
	g.p("// another table.")
	g.p("func %sBuild(b *flatbuffers.Builder, f *%sFields) flatbuffers.UOffsetT {", name, name)
	// Scalar vectors first, as objects of their own: the table's offsets point
	// forward, to higher addresses. Strings and vectors of strings go in the region
	// with the table, after its image.
	off := map[*schema.Field]string{}
	inRegion := map[*schema.Field]bool{}
	for _, f := range o.Fields {
		t := f.Type
		if f.Deprecated || t.Base.IsScalar() || t.IsStruct() {
			continue
		}
		m := "f." + camel(f.Name)
		v := "o" + camel(f.Name)
		switch {
		case t.Base == schema.String || (t.Base == schema.Vector && t.Element == schema.String):
			inRegion[f] = true
			continue
		case t.Base == schema.Vector && t.Element == schema.UByte && t.Enum == nil:
			g.p("var %s flatbuffers.UOffsetT", v)
			g.p("if %s != nil { %s = b.CreateByteVector(%s) }", m, v, m)
		case t.Base == schema.Vector && t.Element.IsScalar():
			size := t.Element.Size()
			g.p("var %s flatbuffers.UOffsetT", v)
			g.p("if %s != nil {", m)
			g.p("b.StartVector(%d, len(%s), %d)", size, m, size)
			stmt := placeScalar(t.Element, fmt.Sprintf("%s[i]", m))
			g.p("for i := len(%s) - 1; i >= 0; i-- { %s }", m, stmt)
			g.p("%s = b.EndVector(len(%s))", v, m)
			g.p("}")
		default:
			v = m
		}
		off[f] = v
	}
	// present returns the condition under which the region holds f.
	present := func(f *schema.Field) string {
		m := "f." + camel(f.Name)
		switch {
		case f.Type.Base == schema.String && f.Required:
			return ""
		case f.Type.Base == schema.String:
			return m + ` != ""`
		}
		return m + " != nil"
	}
	size := func(f *schema.Field) string {
		if f.Type.Base == schema.String {
			return "fb.StringSize(f." + camel(f.Name) + ")"
		}
		return "fb.StringsSize(f." + camel(f.Name) + ")"
	}
	if len(inRegion) == 0 {
		g.p("r := fb.Reserve(b, %d, %d)", l.align, l.size)
	} else {
		g.p("n := %d", l.size)
		for _, f := range o.Fields {
			if !inRegion[f] {
				continue
			}
			if c := present(f); c != "" {
				g.p("if %s { n += %s }", c, size(f))
			} else {
				g.p("n += %s", size(f))
			}
		}
		g.p("r := fb.Reserve(b, %d, n)", l.align)
	}
	g.p("_ = r[%d]", l.size-1)
	if len(off) > 0 {
		g.p("low := b.Offset()")
	}
	g.p("binary.LittleEndian.PutUint32(r[0:], %d) // soffset %d: the vtable follows the table", uint32(-int32(l.vt)), -l.vt)
	g.p("binary.LittleEndian.PutUint16(r[%d:], %d)", l.vt, l.vtLen)
	g.p("binary.LittleEndian.PutUint16(r[%d:], %d)", l.vt+2, l.tblSize)
	for _, s := range l.fields {
		f, t := s.f, s.f.Type
		m := "f." + camel(f.Name)
		vt := fmt.Sprintf("binary.LittleEndian.PutUint16(r[%d:], %d)", l.vt+4+2*int(f.ID), s.pos)
		switch {
		case inRegion[f]:
			continue
		case t.Base.IsScalar() && f.Optional:
			stmt, um := putScalar("r", s.pos, t.Base, "*"+m)
			usesMath = usesMath || um
			g.p("if %s != nil {", m)
			g.p("%s", stmt)
			g.p("%s", vt)
			g.p("}")
		case t.Base.IsScalar():
			stmt, um := putScalar("r", s.pos, t.Base, m)
			cond, um2 := differs(f, m)
			usesMath = usesMath || um || um2
			g.p("%s", stmt)
			if cond == "" {
				g.p("%s", vt)
			} else {
				g.p("if %s { %s }", cond, vt)
			}
		case t.IsStruct():
			g.p("if %s != nil {", m)
			g.p("put%s(r[%d:], %s)", goName(t.Object.Name), s.pos, m)
			g.p("%s", vt)
			g.p("}")
		default:
			v := off[f]
			g.p("if %s != 0 {", v)
			g.p("binary.LittleEndian.PutUint32(r[%d:], uint32(low-%d-%s))", s.pos, s.pos, v)
			g.p("%s", vt)
			g.p("}")
		}
	}
	// The region's strings, in field order after the image.
	if len(inRegion) > 0 {
		g.p("at := %d", l.size)
		left := len(inRegion)
		for _, s := range fieldsByID(l.fields) {
			f := s.f
			if !inRegion[f] {
				continue
			}
			left--
			m := "f." + camel(f.Name)
			put := "fb.PutString"
			if f.Type.Base == schema.Vector {
				put = "fb.PutStrings"
			}
			c := present(f)
			if c != "" {
				g.p("if %s {", c)
			}
			g.p("fb.PutOffset(r, %d, at)", s.pos)
			g.p("binary.LittleEndian.PutUint16(r[%d:], %d)", l.vt+4+2*int(f.ID), s.pos)
			if left > 0 {
				g.p("at = %s(r, at, %s)", put, m)
			} else {
				g.p("%s(r, at, %s)", put, m)
			}
			if c != "" {
				g.p("}")
			}
		}
	}
	g.p("return b.Offset()")
	g.p("}")
	return usesMath, true
}

// fieldsByID returns the slots of a layout in field id order.
func fieldsByID(s []slotOf) []slotOf {
	out := append([]slotOf(nil), s...)
	sort.Slice(out, func(i, j int) bool { return out[i].f.ID < out[j].f.ID })
	return out
}

// placeScalar returns the Builder call that places the scalar x of base type b: the
// Builder's Place methods are named after the Go type (PlaceInt8, PlaceFloat64, ...).
func placeScalar(b schema.BaseType, x string) string {
	t := goScalar(b, nil)
	return "b.Place" + strings.ToUpper(t[:1]) + t[1:] + "(" + t + "(" + x + "))"
}

// putStruct writes putX(img, v), which stores the struct X from its object-API value
// at img[0:], with its padding left zero; a nil v (or nested struct) stays zero.
func (g *gen) putStruct(o *schema.Object) (usesMath bool) {
	name := goName(o.Name)
	g.p("")
	g.p("// put%s stores v at img[0:] in %s's inline layout; nil stores nothing.", name, name)
	g.p("func put%s(img []byte, v *%sT) {", name, name)
	g.p("if v == nil { return }")
	g.p("_ = img[%d]", o.ByteSize-1)
	for _, f := range o.Fields {
		m := "v." + camel(f.Name)
		if f.Type.IsStruct() {
			g.p("put%s(img[%d:], %s)", goName(f.Type.Object.Name), f.Offset, m)
			continue
		}
		stmt, um := putScalar("img", int(f.Offset), f.Type.Base, m)
		usesMath = usesMath || um
		g.p("%s", stmt)
	}
	g.p("}")
	return usesMath
}
