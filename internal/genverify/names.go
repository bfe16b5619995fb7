package genverify

import (
	"fmt"
	"strings"

	"github.com/cellsubstrate/cell/internal/schema"
)

// camel converts a schema field name to the Go accessor name flatc 2.0.8 generates:
// its Namer reads the name as camelCase, converts it to snake_case (CamelToSnake)
// and then to UpperCamel (ToCamelCase), both in flatc's util.cpp. Examples:
// "client_name" -> "ClientName", "myField" -> "MyField", "ALLCAPS" -> "Allcaps",
// "x1_y" -> "X1Y", "_under" -> "_under".
func camel(name string) string {
	return toCamel(camelToSnake(name))
}

func camelToSnake(in string) string {
	var b strings.Builder
	for i := 0; i < len(in); i++ {
		c := in[i]
		switch {
		case i == 0:
			b.WriteByte(lower(c))
		case c == '_':
			b.WriteByte('_')
		case !isLower(c):
			if isLower(in[i-1]) {
				b.WriteByte('_')
			}
			b.WriteByte(lower(c))
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func toCamel(in string) string {
	var b strings.Builder
	for i := 0; i < len(in); i++ {
		c := in[i]
		switch {
		case i == 0:
			c = upper(c)
		case c == '_' && i+1 < len(in):
			i++
			c = upper(in[i])
		}
		b.WriteByte(c)
	}
	return b.String()
}

func isLower(c byte) bool { return c >= 'a' && c <= 'z' }

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}

func upper(c byte) byte {
	if isLower(c) {
		return c - ('a' - 'A')
	}
	return c
}

// goName returns the Go type name flatc gives a declaration: its short name.
func goName(full string) string {
	return full[strings.LastIndexByte(full, '.')+1:]
}

// funcName returns the unexported name of the verifier of an object.
func funcName(o *schema.Object) string { return "verify" + goName(o.Name) }

// slot returns a field's vtable slot as the runtime expects it.
func slot(f *schema.Field) uint16 { return f.Offset }

// PackageName returns the Go package name for a schema: the last component of the
// namespace of its root table, or else of its first declaration in the main file.
func PackageName(s *schema.Schema) string {
	ns := mainNamespace(s)
	return ns[strings.LastIndexByte(ns, '.')+1:]
}

func mainNamespace(s *schema.Schema) string {
	if s.Root != nil {
		return s.Root.Namespace()
	}
	for _, o := range s.Objects {
		if s.InMain(o.File) {
			return o.Namespace()
		}
	}
	for _, e := range s.Enums {
		if s.InMain(e.File) {
			return e.Namespace()
		}
	}
	return ""
}

// check rejects schema features that flatc's Go generator or cellgen's verifier do
// not support, and references to other namespaces (other Go packages).
func check(s *schema.Schema, objs []*schema.Object) error {
	ns := mainNamespace(s)
	for _, o := range objs {
		if o.Namespace() != ns {
			return fmt.Errorf("genverify: %s: namespace %q differs from %q; one namespace per schema file", o.Name, o.Namespace(), ns)
		}
		for _, f := range o.Fields {
			t := f.Type
			if t.Base == schema.Array || t.Base == schema.Vector64 || t.Element == schema.Union || t.Element == schema.UType {
				return fmt.Errorf("genverify: %s.%s: %v of %v is not supported", o.Name, f.Name, t.Base, t.Element)
			}
			if _, ok := f.Attributes.Get("nested_flatbuffer"); ok {
				x := nested(s, o, f)
				if x == nil || x.IsStruct || x.Namespace() != ns {
					return fmt.Errorf("genverify: %s.%s: nested_flatbuffer must name a table of namespace %q", o.Name, f.Name, ns)
				}
			}
			if t.Object != nil && t.Object.Namespace() != ns {
				return fmt.Errorf("genverify: %s.%s refers to %s in another namespace", o.Name, f.Name, t.Object.Name)
			}
			if t.Base == schema.Union {
				if f.Companion == nil {
					return fmt.Errorf("genverify: %s.%s: union without its _type field", o.Name, f.Name)
				}
				for _, v := range t.Enum.Values {
					if v.Value != 0 && (v.Object == nil || v.Object.IsStruct) {
						return fmt.Errorf("genverify: %s.%s: union member %s is not a table", o.Name, f.Name, v.Name)
					}
					if v.Object != nil && v.Object.Namespace() != ns {
						return fmt.Errorf("genverify: %s.%s: union member %s in another namespace", o.Name, f.Name, v.Object.Name)
					}
				}
			}
		}
	}
	return nil
}

// mainObjects returns the tables and structs the main schema file declares, in the
// model's (sorted) order.
func mainObjects(s *schema.Schema) []*schema.Object {
	var out []*schema.Object
	for _, o := range s.Objects {
		if s.InMain(o.File) {
			out = append(out, o)
		}
	}
	return out
}

func mainEnums(s *schema.Schema) []*schema.Enum {
	var out []*schema.Enum
	for _, e := range s.Enums {
		if s.InMain(e.File) {
			out = append(out, e)
		}
	}
	return out
}

// nested returns the table a [ubyte] field declared (nested_flatbuffer: "X") holds,
// or nil for any other field.
func nested(s *schema.Schema, o *schema.Object, f *schema.Field) *schema.Object {
	name, ok := f.Attributes.Get("nested_flatbuffer")
	if !ok || f.Type.Base != schema.Vector || f.Type.Element != schema.UByte {
		return nil
	}
	if x := s.Object(name); x != nil {
		return x
	}
	return s.Object(o.Namespace() + "." + name)
}
