package schema_test

import (
	"context"
	"errors"
	"testing"

	"github.com/cellsubstrate/cell/internal/schema"
)

// FuzzLoad feeds arbitrary bytes to Load, seeded with binary schemas flatc wrote:
// Load must return a model or an error wrapping ErrBadSchema, never panic, and a
// model it returns must be internally consistent.
func FuzzLoad(f *testing.F) {
	for _, p := range []string{"../../examples/orders/orders.fbs", "../testschema/testschema.fbs"} {
		if b, err := schema.CompileBinary(context.Background(), p, schema.CompileOptions{}); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("\x08\x00\x00\x00BFBS\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := schema.Load(data)
		if err != nil {
			if !errors.Is(err, schema.ErrBadSchema) {
				t.Fatalf("error %v does not wrap ErrBadSchema", err)
			}
			return
		}
		for _, o := range s.Objects {
			for _, fl := range o.Fields {
				if (fl.Type.Base == schema.Obj || fl.Type.Element == schema.Obj) && fl.Type.Object == nil {
					t.Fatalf("%s.%s: object type without its object", o.Name, fl.Name)
				}
				_ = fl.Type.Base.String()
			}
		}
		for _, sv := range s.Services {
			for _, c := range sv.Calls {
				if c.Request == nil || c.Response == nil {
					t.Fatalf("%s.%s without request or response", sv.Name, c.Name)
				}
			}
		}
	})
}
