package schema

import (
	"strconv"
	"strings"
)

// BaseType is the FlatBuffers type of a field, a vector element or an enum's
// underlying integer. The values match reflection.fbs and flatc's idl.h.
type BaseType uint8

// The base types.
const (
	None     BaseType = 0  // no type: the element of a non-vector, or union NONE
	UType    BaseType = 1  // a union's hidden type field (ubyte)
	Bool     BaseType = 2  // bool, one byte
	Byte     BaseType = 3  // int8
	UByte    BaseType = 4  // uint8
	Short    BaseType = 5  // int16
	UShort   BaseType = 6  // uint16
	Int      BaseType = 7  // int32
	UInt     BaseType = 8  // uint32
	Long     BaseType = 9  // int64
	ULong    BaseType = 10 // uint64
	Float    BaseType = 11 // float32
	Double   BaseType = 12 // float64
	String   BaseType = 13 // offset to a length-prefixed, NUL-terminated byte string
	Vector   BaseType = 14 // offset to a length-prefixed vector of Type.Element
	Obj      BaseType = 15 // a table (by offset) or a struct (inline); see Type.Object
	Union    BaseType = 16 // offset to a table whose type is in the companion UType field
	Array    BaseType = 17 // fixed-length array inside a struct
	Vector64 BaseType = 18 // vector with 64-bit offsets (not supported by cellgen)
)

var baseNames = [...]string{"none", "utype", "bool", "byte", "ubyte", "short", "ushort",
	"int", "uint", "long", "ulong", "float", "double", "string", "vector", "obj", "union",
	"array", "vector64"}

// String returns the schema-language name of t ("ulong", "string", ...).
func (t BaseType) String() string {
	if int(t) < len(baseNames) {
		return baseNames[t]
	}
	return "basetype(" + strconv.Itoa(int(t)) + ")"
}

// IsScalar reports whether t is stored inline in a table as a fixed-size number.
func (t BaseType) IsScalar() bool { return t >= UType && t <= Double }

// IsInteger reports whether t is an integer type (bool and utype included).
func (t BaseType) IsInteger() bool { return t >= UType && t <= ULong }

// Size returns the inline size in bytes of a value of type t: the scalar's width, or
// 4 for the types stored as an offset (string, vector, table, union). It returns 0 for
// None, Obj (whose size depends on whether it is a struct) and Array.
func (t BaseType) Size() int {
	switch t {
	case UType, Bool, Byte, UByte:
		return 1
	case Short, UShort:
		return 2
	case Int, UInt, Float:
		return 4
	case Long, ULong, Double, Vector64:
		return 8
	case String, Vector, Union:
		return 4
	}
	return 0
}

// Schema is one compiled FlatBuffers schema: every table, struct, enum, union and
// rpc_service it declares or includes. A Schema is immutable after Load returns and
// safe for concurrent reads.
type Schema struct {
	Objects   []*Object  // tables and structs, sorted by fully qualified name
	Enums     []*Enum    // enums and unions, sorted by fully qualified name
	Services  []*Service // rpc_service declarations, sorted by fully qualified name
	Root      *Object    // the root_type, or nil
	FileIdent string     // file_identifier, or ""
	FileExt   string     // file_extension, or ""
	Files     []File     // every .fbs file of the compilation (flatc >= 2.0.5)
	// MainFile is the declaration file name (as in Object.File) of the schema that was
	// compiled, as opposed to the files it includes. Set by Compile; "" after Load.
	MainFile string
}

// File is one .fbs file that took part in the compilation.
type File struct {
	Name     string   // as flatc reports it, e.g. "//orders.fbs"
	Includes []string // the files it includes, same form
}

// Object is a table or a struct.
type Object struct {
	Name       string   // fully qualified: "orders.Order"
	IsStruct   bool     // struct (inline, fixed size) rather than table
	Fields     []*Field // sorted by ID (tables) or by Offset (structs)
	MinAlign   int      // alignment in bytes
	ByteSize   int      // size in bytes (structs only)
	Attributes Attrs    // user and built-in attributes
	Doc        []string // the /// comment lines, each without the leading "///"
	File       string   // the declaring file, as in File.Name
}

// Namespace returns the dotted namespace of o ("orders" for "orders.Order").
func (o *Object) Namespace() string { return namespace(o.Name) }

// Short returns o's name without its namespace ("Order").
func (o *Object) Short() string { return short(o.Name) }

// Field returns the field with the given name, or nil.
func (o *Object) Field(name string) *Field {
	for _, f := range o.Fields {
		if f.Name == name {
			return f
		}
	}
	return nil
}

// Field is one field of a table or struct.
type Field struct {
	Name string // as declared: "client_name"
	Type Type
	// ID is the field's position in the vtable (tables). A union field's hidden type
	// field "<name>_type" is a separate Field with ID one less.
	ID uint16
	// Offset is the field's vtable slot offset (4 + 2*ID) for tables, or its byte offset
	// inside the struct for structs.
	Offset      uint16
	DefaultInt  int64   // default of an integer, bool or enum field
	DefaultReal float64 // default of a float or double field
	Deprecated  bool
	Required    bool
	Key         bool
	Optional    bool   // a scalar declared "= null", or any non-scalar field
	Padding     uint16 // struct fields: bytes of padding that follow
	Attributes  Attrs
	Doc         []string
	// Companion links a union field and its hidden "<name>_type" field (Base UType)
	// to each other; nil for every other field.
	Companion *Field
}

// Type is the type of a field, including vectors, tables, structs, enums and unions.
type Type struct {
	Base BaseType
	// Element is the element type when Base is Vector or Array, else None.
	Element BaseType
	// Object is the table or struct when Base (or, for vectors, Element) is Obj.
	Object *Object
	// Enum is the enum when the field (or vector element) is an integer of an enum
	// type, and the union when Base or Element is Union or UType.
	Enum *Enum
	// FixedLength is the number of elements when Base is Array.
	FixedLength uint16
}

// InlineSize returns the bytes the field occupies inside its table or struct: the
// scalar width, a struct's ByteSize, or 4 for an offset.
func (t Type) InlineSize() int {
	switch t.Base {
	case Obj:
		if t.Object.IsStruct {
			return t.Object.ByteSize
		}
		return 4
	case Array:
		return int(t.FixedLength) * t.ElemSize()
	}
	return t.Base.Size()
}

// ElemSize returns the size in bytes of one element of a vector or array: a scalar's
// width, a struct's ByteSize, or 4 for strings, tables and unions.
func (t Type) ElemSize() int {
	if t.Element == Obj {
		if t.Object.IsStruct {
			return t.Object.ByteSize
		}
		return 4
	}
	return t.Element.Size()
}

// IsStruct reports whether the type is a struct stored inline.
func (t Type) IsStruct() bool { return t.Base == Obj && t.Object.IsStruct }

// IsTable reports whether the type is an offset to a table.
func (t Type) IsTable() bool { return t.Base == Obj && !t.Object.IsStruct }

// Enum is an enum or a union.
type Enum struct {
	Name       string // fully qualified
	Values     []*EnumVal
	IsUnion    bool
	Underlying Type // the integer type (ubyte, i.e. UType, for unions)
	Attributes Attrs
	Doc        []string
	File       string
}

// Namespace returns the dotted namespace of e.
func (e *Enum) Namespace() string { return namespace(e.Name) }

// Short returns e's name without its namespace.
func (e *Enum) Short() string { return short(e.Name) }

// IsBitFlags reports whether the enum was declared with (bit_flags).
func (e *Enum) IsBitFlags() bool { _, ok := e.Attributes.Get("bit_flags"); return ok }

// EnumVal is one value of an enum, or one member of a union.
type EnumVal struct {
	Name       string
	Value      int64
	Object     *Object // union members: the member table; nil for NONE and for enums
	Doc        []string
	Attributes Attrs
}

// Service is an rpc_service declaration.
type Service struct {
	Name       string // fully qualified: "orders.Orders"
	Calls      []*Call
	Attributes Attrs
	Doc        []string
	File       string
}

// Namespace returns the dotted namespace of s.
func (s *Service) Namespace() string { return namespace(s.Name) }

// Short returns s's name without its namespace.
func (s *Service) Short() string { return short(s.Name) }

// Call is one method of a service: "CreateOrder(Order):OrderId".
type Call struct {
	Name       string
	Request    *Object // always a table
	Response   *Object // always a table
	Attributes Attrs   // e.g. streaming: "server", or user attributes like (idempotent)
	Doc        []string
}

// Attr is one attribute: `(key: "value")`, or `(key)` with an empty value.
type Attr struct {
	Key, Value string
}

// Attrs is a list of attributes in the order flatc reports them (sorted by key).
type Attrs []Attr

// Get returns the value of the attribute key and whether it is present.
func (a Attrs) Get(key string) (string, bool) {
	for _, kv := range a {
		if kv.Key == key {
			return kv.Value, true
		}
	}
	return "", false
}

// Object returns the table or struct with the fully qualified name, or nil.
func (s *Schema) Object(name string) *Object {
	for _, o := range s.Objects {
		if o.Name == name {
			return o
		}
	}
	return nil
}

// Enum returns the enum or union with the fully qualified name, or nil.
func (s *Schema) Enum(name string) *Enum {
	for _, e := range s.Enums {
		if e.Name == name {
			return e
		}
	}
	return nil
}

// Service returns the service with the fully qualified name, or nil.
func (s *Schema) Service(name string) *Service {
	for _, v := range s.Services {
		if v.Name == name {
			return v
		}
	}
	return nil
}

// InMain reports whether a declaration's File is the compiled schema itself rather
// than an include. When MainFile is unknown every declaration counts as main.
func (s *Schema) InMain(file string) bool {
	return s.MainFile == "" || file == "" || file == s.MainFile
}

func namespace(full string) string {
	if i := strings.LastIndexByte(full, '.'); i >= 0 {
		return full[:i]
	}
	return ""
}

func short(full string) string {
	return full[strings.LastIndexByte(full, '.')+1:]
}
