package orders

// The message types (orders_generated.go) come from flatc; the verifiers
// (orders_verify.cellgen.go) and read-everything helpers (orders_touch.cellgen.go)
// from cellgen. Run `go generate` here, or `make generate` at the root.

//go:generate flatc --go --gen-onefile --gen-object-api --go-namespace orders -o . orders.fbs
//go:generate gofmt -w orders_generated.go
//go:generate go run github.com/cellsubstrate/cell/cmd/cellgen orders.fbs
