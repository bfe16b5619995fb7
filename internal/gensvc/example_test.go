package gensvc_test

import (
	"fmt"
	"strings"

	"github.com/cellsubstrate/cell/internal/gensvc"
	"github.com/cellsubstrate/cell/internal/schema"
)

// Generating the service code for a one-call schema, and printing its method table.
func ExampleServices() {
	ping := &schema.Object{Name: "demo.Ping", Fields: []*schema.Field{{Name: "seq", ID: 0, Type: schema.Type{Base: schema.ULong}}}}
	s := &schema.Schema{
		Objects:  []*schema.Object{ping},
		Services: []*schema.Service{{Name: "demo.Echo", Calls: []*schema.Call{{Name: "Ping", Request: ping, Response: ping}}}},
	}
	src, err := gensvc.Services(s, gensvc.Config{Source: "demo.fbs"})
	if err != nil {
		panic(err)
	}
	for _, line := range strings.Split(string(src), "\n") {
		if strings.Contains(line, "Path:") || strings.HasPrefix(line, "const E") {
			fmt.Println(strings.TrimSpace(line))
		}
	}
	// Output:
	// const EchoServiceName = "demo.Echo"
	// {Path: "0", Name: "seq", Type: "ulong"},
	// {Path: "0", Name: "seq", Type: "ulong"},
}
