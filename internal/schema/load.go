package schema

import (
	"errors"
	"fmt"
	"sort"

	"github.com/cellsubstrate/cell/internal/schema/reflection"
	flatbuffers "github.com/google/flatbuffers/go"
)

// ErrBadSchema occurs when a binary schema cannot be read or refers to types that do
// not exist.
var ErrBadSchema = errors.New("schema: malformed binary schema")

// Load builds the model from a binary schema, the .bfbs file that
// `flatc -b --schema --bfbs-builtins [--bfbs-comments]` writes. The bytes come from
// flatc, not from a peer, but they are verified first: a damaged file gets an error
// wrapping ErrBadSchema, never a panic.
func Load(bfbs []byte) (*Schema, error) {
	if len(bfbs) < 8 || string(bfbs[4:8]) != "BFBS" {
		return nil, fmt.Errorf("%w: missing BFBS file identifier", ErrBadSchema)
	}
	// flatc's generated reader panics on a malformed buffer; cellgen's verifier for
	// reflection.fbs makes sure it cannot.
	if err := reflection.VerifySchema(bfbs); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadSchema, err)
	}
	var rs reflection.Schema
	rs.Init(bfbs, flatbuffers.GetUOffsetT(bfbs))
	return load(&rs)
}

func load(rs *reflection.Schema) (*Schema, error) {
	s := &Schema{
		FileIdent: string(rs.FileIdent()),
		FileExt:   string(rs.FileExt()),
	}
	// Create every object and enum first so that types can point at them.
	s.Objects = make([]*Object, rs.ObjectsLength())
	robjs := make([]reflection.Object, len(s.Objects))
	for i := range s.Objects {
		rs.Objects(&robjs[i], i)
		s.Objects[i] = &Object{Name: string(robjs[i].Name())}
	}
	s.Enums = make([]*Enum, rs.EnumsLength())
	renums := make([]reflection.Enum, len(s.Enums))
	for i := range s.Enums {
		rs.Enums(&renums[i], i)
		s.Enums[i] = &Enum{Name: string(renums[i].Name())}
	}
	for i, o := range s.Objects {
		if err := s.fillObject(o, &robjs[i]); err != nil {
			return nil, err
		}
	}
	for i, e := range s.Enums {
		if err := s.fillEnum(e, &renums[i]); err != nil {
			return nil, err
		}
	}
	if rt := rs.RootTable(nil); rt != nil {
		s.Root = s.Object(string(rt.Name()))
	}
	var rsv reflection.Service
	for i := 0; i < rs.ServicesLength(); i++ {
		rs.Services(&rsv, i)
		sv, err := s.service(&rsv)
		if err != nil {
			return nil, err
		}
		s.Services = append(s.Services, sv)
	}
	var rf reflection.SchemaFile
	for i := 0; i < rs.FbsFilesLength(); i++ {
		rs.FbsFiles(&rf, i)
		f := File{Name: string(rf.Filename())}
		for j := 0; j < rf.IncludedFilenamesLength(); j++ {
			f.Includes = append(f.Includes, string(rf.IncludedFilenames(j)))
		}
		s.Files = append(s.Files, f)
	}
	return s, nil
}

func (s *Schema) fillObject(o *Object, ro *reflection.Object) error {
	o.IsStruct = ro.IsStruct()
	o.MinAlign = int(ro.Minalign())
	o.ByteSize = int(ro.Bytesize())
	o.Attributes = attrs(ro.AttributesLength, ro.Attributes)
	o.Doc = strs(ro.DocumentationLength, ro.Documentation)
	o.File = string(ro.DeclarationFile())
	var rf reflection.Field
	for i := 0; i < ro.FieldsLength(); i++ {
		ro.Fields(&rf, i)
		f := &Field{
			Name:        string(rf.Name()),
			ID:          rf.Id(),
			Offset:      rf.Offset(),
			DefaultInt:  rf.DefaultInteger(),
			DefaultReal: rf.DefaultReal(),
			Deprecated:  rf.Deprecated(),
			Required:    rf.Required(),
			Key:         rf.Key(),
			Optional:    rf.Optional(),
			Padding:     rf.Padding(),
			Attributes:  attrs(rf.AttributesLength, rf.Attributes),
			Doc:         strs(rf.DocumentationLength, rf.Documentation),
		}
		t, err := s.typ(rf.Type(nil))
		if err != nil {
			return fmt.Errorf("%w: %s.%s: %v", ErrBadSchema, o.Name, f.Name, err)
		}
		f.Type = t
		o.Fields = append(o.Fields, f)
	}
	if o.IsStruct {
		sort.SliceStable(o.Fields, func(i, j int) bool { return o.Fields[i].Offset < o.Fields[j].Offset })
	} else {
		sort.SliceStable(o.Fields, func(i, j int) bool { return o.Fields[i].ID < o.Fields[j].ID })
	}
	for i, f := range o.Fields {
		if f.Type.Base == Union && i > 0 && o.Fields[i-1].Type.Base == UType {
			f.Companion, o.Fields[i-1].Companion = o.Fields[i-1], f
		}
	}
	return nil
}

func (s *Schema) fillEnum(e *Enum, re *reflection.Enum) error {
	e.IsUnion = re.IsUnion()
	e.Attributes = attrs(re.AttributesLength, re.Attributes)
	e.Doc = strs(re.DocumentationLength, re.Documentation)
	e.File = string(re.DeclarationFile())
	ut, err := s.typ(re.UnderlyingType(nil))
	if err != nil {
		return fmt.Errorf("%w: enum %s: %v", ErrBadSchema, e.Name, err)
	}
	e.Underlying = ut
	var rv reflection.EnumVal
	for i := 0; i < re.ValuesLength(); i++ {
		re.Values(&rv, i)
		v := &EnumVal{
			Name:       string(rv.Name()),
			Value:      rv.Value(),
			Doc:        strs(rv.DocumentationLength, rv.Documentation),
			Attributes: attrs(rv.AttributesLength, rv.Attributes),
		}
		if e.IsUnion {
			if ut := rv.UnionType(nil); ut != nil && ut.BaseType() == reflection.BaseTypeObj {
				v.Object, err = s.objectAt(ut.Index())
				if err != nil {
					return fmt.Errorf("%w: union %s.%s: %v", ErrBadSchema, e.Name, v.Name, err)
				}
			}
		}
		e.Values = append(e.Values, v)
	}
	return nil
}

func (s *Schema) service(rsv *reflection.Service) (*Service, error) {
	sv := &Service{
		Name:       string(rsv.Name()),
		Attributes: attrs(rsv.AttributesLength, rsv.Attributes),
		Doc:        strs(rsv.DocumentationLength, rsv.Documentation),
		File:       string(rsv.DeclarationFile()),
	}
	var rc reflection.RPCCall
	for i := 0; i < rsv.CallsLength(); i++ {
		rsv.Calls(&rc, i)
		c := &Call{
			Name:       string(rc.Name()),
			Attributes: attrs(rc.AttributesLength, rc.Attributes),
			Doc:        strs(rc.DocumentationLength, rc.Documentation),
		}
		if req := rc.Request(nil); req != nil {
			c.Request = s.Object(string(req.Name()))
		}
		if resp := rc.Response(nil); resp != nil {
			c.Response = s.Object(string(resp.Name()))
		}
		if c.Request == nil || c.Response == nil {
			return nil, fmt.Errorf("%w: %s.%s: request or response table not found", ErrBadSchema, sv.Name, c.Name)
		}
		sv.Calls = append(sv.Calls, c)
	}
	return sv, nil
}

func (s *Schema) typ(rt *reflection.Type) (Type, error) {
	if rt == nil {
		return Type{}, errors.New("missing type")
	}
	t := Type{
		Base:        BaseType(rt.BaseType()),
		Element:     BaseType(rt.Element()),
		FixedLength: rt.FixedLength(),
	}
	if t.Base >= Vector64+1 || t.Element >= Vector64+1 {
		return t, fmt.Errorf("unknown base type %d/%d", t.Base, t.Element)
	}
	idx := rt.Index()
	if idx < 0 {
		return t, nil
	}
	var err error
	switch {
	case t.Base == Obj || t.Element == Obj:
		t.Object, err = s.objectAt(idx)
	default:
		if int(idx) >= len(s.Enums) {
			return t, fmt.Errorf("enum index %d out of range", idx)
		}
		t.Enum = s.Enums[idx]
	}
	return t, err
}

func (s *Schema) objectAt(idx int32) (*Object, error) {
	if idx < 0 || int(idx) >= len(s.Objects) {
		return nil, fmt.Errorf("object index %d out of range", idx)
	}
	return s.Objects[idx], nil
}

func attrs(n func() int, at func(*reflection.KeyValue, int) bool) Attrs {
	var a Attrs
	var kv reflection.KeyValue
	for i := 0; i < n(); i++ {
		at(&kv, i)
		a = append(a, Attr{Key: string(kv.Key()), Value: string(kv.Value())})
	}
	return a
}

func strs(n func() int, at func(int) []byte) []string {
	var out []string
	for i := 0; i < n(); i++ {
		out = append(out, string(at(i)))
	}
	return out
}
