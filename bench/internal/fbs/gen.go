// Package fbs holds the Go code flatc generates from ../../../examples/orders/orders.fbs,
// the schema cell's own Orders service uses, so every FlatBuffers peer in the bench
// builds and reads the very same tables. Only this file is written by hand.
package fbs

//go:generate flatc --go --go-namespace fbs -o .. ../../../examples/orders/orders.fbs
//go:generate gofmt -w .
