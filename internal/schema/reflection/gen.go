// Package reflection reads flatc's binary schema (.bfbs) output. The Go code here is
// generated: by flatc from reflection.fbs (the message types), and by cellgen
// (reflection_verify.cellgen.go, the verifier that internal/schema runs before it
// reads a binary schema). Only this file is written by hand.
package reflection

//go:generate flatc --go -o .. reflection.fbs
//go:generate gofmt -w .
//go:generate go run github.com/cellsubstrate/cell/cmd/cellgen -only verify reflection.fbs
