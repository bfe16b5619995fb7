// Package edge holds corner cases for cellgen's generators (see edge.fbs); its
// test proves the generated code compiles, verifies and reads them.
package edge

//go:generate flatc --go --gen-onefile --gen-object-api --go-namespace edge -o . edge.fbs
//go:generate gofmt -w edge_generated.go
//go:generate go run github.com/cellsubstrate/cell/cmd/cellgen edge.fbs
