// Package testschema is the schema cellgen's verifier is tested against
// (testschema.fbs): nested tables, vectors of tables, scalars, structs and strings,
// structs in structs, unions (one recursive), plain and bit_flags enums, defaults,
// optional scalars, deprecated and required fields, and a file identifier.
//
// testschema_generated.go is flatc's output; testschema_verify.cellgen.go and
// testschema_touch.cellgen.go are cellgen's; `go generate` rewrites all three.
// sample.go builds the messages the tests, benchmarks (BenchmarkVerify,
// BenchmarkReadAll, BenchmarkBuildOrder) and fuzz seeds use.
//
// Everything here is plain data and pure functions: safe for concurrent use.
package testschema
