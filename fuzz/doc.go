// Package fuzz holds fuzz targets that cross packages: the generated verifiers of
// internal/testschema and examples/orders, driven through the frame/fb runtime.
// Package-local targets live beside their code (frame's header fuzzers, for one).
//
// The promise these targets prove: a buffer that passes a generated VerifyX can be
// read through every generated accessor (TouchX) and flatc's object API (UnPack)
// without a panic, whatever its bytes. They also check meaning: re-encoding what was
// read and reading it again is stable. FuzzOrderBuild checks the generated fast
// builder (OrderBuild) against flatc's API for any field values.
//
// Run one for a while with, for example:
//
//	go test -run '^$' -fuzz '^FuzzVerifyMonster$' -fuzztime 10m ./fuzz
//
// The package has no non-test code besides this comment.
package fuzz
