// Package schema is cellgen's front end: a Go model of a FlatBuffers schema, read
// from the binary schema flatc writes (`flatc -b --schema --bfbs-builtins
// --bfbs-comments`), never from .fbs text, so cellgen agrees with flatc on every
// detail of the language.
//
// # The model
//
//	Schema
//	 ├─ Objects  []*Object   tables and structs, sorted by qualified name
//	 │    └─ Fields []*Field  by vtable ID (tables) or byte offset (structs)
//	 │         └─ Type        Base, Element, and a pointer to its Object or Enum
//	 ├─ Enums    []*Enum     enums and unions; union members point to their table
//	 ├─ Services []*Service  rpc_service declarations
//	 │    └─ Calls []*Call    Name, Request and Response (*Object, always tables),
//	 │                        Attributes (e.g. "idempotent", "streaming") and Doc
//	 └─ Root, FileIdent, FileExt, Files, MainFile
//
// Names are fully qualified with the schema namespace ("orders.Order"); Short and
// Namespace split them. Doc holds the `///` comment lines as flatc reports them
// (each usually starts with a space). Attributes include flatc's built-in ones
// (required, deprecated, id, key, ...) as well as user attributes declared with
// `attribute "name";`.
//
// A union field "u" comes with a hidden field "u_type" of base type UType; the two
// point to each other through Field.Companion.
//
// Schema.InMain tells declarations of the compiled file from those of files it
// includes, so that a generator writes code for its own schema only.
//
// # Concurrency
//
// A Schema is built once by Load or Compile and is read-only afterwards: any number
// of goroutines may read it.
package schema
