package genverify

import (
	"fmt"

	"github.com/cellsubstrate/cell/internal/schema"
)

// Touch returns the Go source of a TouchX function per table and struct the main
// schema file declares. TouchX reads every field of an X through flatc's generated
// accessors, following tables, vectors and unions, and returns a checksum of what it
// read. Fuzz tests call it on buffers that passed VerifyX to prove that reading a
// verified buffer never panics; it also serves as a "read everything" benchmark.
func Touch(s *schema.Schema, cfg Config) ([]byte, error) {
	objs := mainObjects(s)
	if err := check(s, objs); err != nil {
		return nil, err
	}
	hasUnion := false
	for _, o := range objs {
		for _, f := range o.Fields {
			hasUnion = hasUnion || (f.Type.Base == schema.Union && !f.Deprecated)
		}
	}
	g := &gen{s: s}
	imports := []string{fmt.Sprintf("%q", RuntimeImport)}
	if hasUnion {
		imports = append(imports, `flatbuffers "github.com/google/flatbuffers/go"`)
	}
	header(g, cfg, s, imports...)
	for _, o := range objs {
		g.touch(o)
	}
	return g.formatted()
}

func (g *gen) formatted() ([]byte, error) {
	out, err := formatSource(g.buf.Bytes())
	if err != nil {
		return nil, fmt.Errorf("genverify: generated code does not parse: %w", err)
	}
	return out, nil
}

// scalar returns the expression that turns the scalar expression x of base type b
// into a uint64.
func scalar(b schema.BaseType, x string) string {
	switch b {
	case schema.Bool:
		return "fb.Bool(" + x + ")"
	case schema.Float:
		return "fb.Float32(" + x + ")"
	case schema.Double:
		return "fb.Float64(" + x + ")"
	}
	return "uint64(" + x + ")"
}

func (g *gen) touch(o *schema.Object) {
	name := goName(o.Name)
	g.p("")
	g.p("// Touch%s reads every field of o through its accessors, recursively, and", name)
	g.p("// returns a checksum of what it read. o must come from a verified buffer.")
	g.p("func Touch%s(o *%s) uint64 {", name, name)
	g.p("var h uint64")
	for _, f := range o.Fields {
		if f.Deprecated {
			continue
		}
		g.touchField(o, f)
	}
	g.p("return h")
	g.p("}")
}

func (g *gen) touchField(o *schema.Object, f *schema.Field) {
	t := f.Type
	acc := "o." + camel(f.Name)
	switch {
	case t.Base.IsScalar() && f.Optional && !o.IsStruct:
		g.p("if p := %s(); p != nil { h = fb.Mix(h, %s) }", acc, scalar(t.Base, "*p"))
	case t.Base.IsScalar():
		g.p("h = fb.Mix(h, %s)", scalar(t.Base, acc+"()"))
	case t.Base == schema.String:
		g.p("h = fb.MixBytes(h, %s())", acc)
	case t.Base == schema.Obj:
		g.p("if x := %s(nil); x != nil { h = fb.Mix(h, Touch%s(x)) }", acc, goName(t.Object.Name))
	case t.Base == schema.Union:
		g.p("{")
		g.p("var u flatbuffers.Table")
		g.p("if %s(&u) {", acc)
		g.p("switch byte(%sType()) {", acc)
		for _, m := range t.Enum.Values {
			if m.Object == nil {
				continue
			}
			g.p("case %d:", m.Value)
			g.p("var x %s", goName(m.Object.Name))
			g.p("x.Init(u.Bytes, u.Pos)")
			g.p("h = fb.Mix(h, Touch%s(&x))", goName(m.Object.Name))
		}
		g.p("}")
		g.p("}")
		g.p("}")
	case t.Base == schema.Vector:
		g.p("for i, n := 0, %sLength(); i < n; i++ {", acc)
		switch {
		case t.Element.IsScalar():
			g.p("h = fb.Mix(h, %s)", scalar(t.Element, acc+"(i)"))
		case t.Element == schema.String:
			g.p("h = fb.MixBytes(h, %s(i))", acc)
		case t.Element == schema.Obj:
			g.p("var x %s", goName(t.Object.Name))
			g.p("if %s(&x, i) { h = fb.Mix(h, Touch%s(&x)) }", acc, goName(t.Object.Name))
		}
		g.p("}")
		if t.Element == schema.UByte {
			g.p("h = fb.MixBytes(h, %sBytes())", acc)
		}
		if x := nested(g.s, o, f); x != nil {
			g.p("if b := %sBytes(); b != nil {", acc)
			g.p("var x %s", goName(x.Name))
			g.p("x.Init(b, fb.RootPos(b))")
			g.p("h = fb.Mix(h, Touch%s(&x))", goName(x.Name))
			g.p("}")
		}
	}
}
