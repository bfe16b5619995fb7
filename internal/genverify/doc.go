// Package genverify writes, from a schema model (internal/schema), the Go code that
// makes FlatBuffers from untrusted peers safe to read, and fast to write:
//
//   - Verify: per table X, VerifyX(buf), VerifyXLimits(buf, lim) and ReadX(buf, dst)
//     (verify, then read in place), built on the frame/fb runtime; per enum and union,
//     a Known method. Structs are fixed-size and checked inline by whatever holds
//     them; scalar vectors by length times element size; strings, tables, unions
//     and nested FlatBuffers (nested_flatbuffer) recursively. See package frame/fb for the exact checks.
//   - Touch: per table and struct X, TouchX(x) which reads every field through
//     flatc's accessors and returns a checksum; fuzz targets use it to prove that a
//     verified buffer never makes an accessor panic.
//   - Build: per table X, an XFields struct and XBuild(b, &f), which writes the table,
//     its strings and its vectors of strings in one step on a flatbuffers.Builder (one
//     reserved region, a table image laid out at generation time), mixing freely with
//     flatc's XStart/XAdd/XEnd. Absent fields follow FlatBuffers' rules (see Build).
//     Struct fields take flatc's object-API struct types (XT), so flatc must run with
//     --gen-object-api.
//
// The output goes in the same Go package as flatc's output for the schema (flatc
// --go --gen-onefile --go-namespace <pkg>), is gofmt-formatted and deterministic.
// Only declarations of the compiled file itself are generated; types it uses must
// be in the same namespace. Unsupported (rejected with an error naming the field):
// fixed-size arrays, 64-bit offsets, vectors of unions, unions of structs or strings.
//
// Generate functions are pure: they read the schema and return bytes, so they are
// safe to call concurrently.
package genverify
