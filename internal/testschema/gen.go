package testschema

//go:generate flatc --go --gen-onefile --gen-object-api --go-namespace testschema -o . testschema.fbs
//go:generate gofmt -w testschema_generated.go
//go:generate go run github.com/cellsubstrate/cell/cmd/cellgen testschema.fbs
