package schema_test

import (
	"context"
	"errors"
	"os/exec"
	"testing"

	"github.com/cellsubstrate/cell/internal/schema"
)

func compileOrders(t *testing.T) *schema.Schema {
	t.Helper()
	if _, err := exec.LookPath("flatc"); err != nil {
		t.Skip("flatc not installed (make flatc installs it):", err)
	}
	s, err := schema.Compile(context.Background(), "../../examples/orders/orders.fbs", schema.CompileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestCompileOrders(t *testing.T) {
	s := compileOrders(t)
	if s.MainFile != "//orders.fbs" {
		t.Errorf("MainFile = %q", s.MainFile)
	}
	order := s.Object("orders.Order")
	if order == nil || order.IsStruct {
		t.Fatalf("orders.Order: %+v", order)
	}
	if s.Root != order {
		t.Errorf("Root = %v, want orders.Order", s.Root)
	}
	if !s.InMain(order.File) {
		t.Errorf("Order declared in %q, not main", order.File)
	}
	want := []struct {
		name   string
		base   schema.BaseType
		elem   schema.BaseType
		id     uint16
		offset uint16
	}{
		{"id", schema.ULong, schema.None, 0, 4},
		{"symbol", schema.String, schema.None, 1, 6},
		{"side", schema.Byte, schema.None, 2, 8},
		{"quantity", schema.UInt, schema.None, 3, 10},
		{"price", schema.Long, schema.None, 4, 12},
		{"client_name", schema.String, schema.None, 5, 14},
		{"tags", schema.Vector, schema.String, 6, 16},
	}
	if len(order.Fields) != len(want) {
		t.Fatalf("Order has %d fields, want %d", len(order.Fields), len(want))
	}
	for i, w := range want {
		f := order.Fields[i]
		if f.Name != w.name || f.Type.Base != w.base || f.Type.Element != w.elem || f.ID != w.id || f.Offset != w.offset {
			t.Errorf("field %d = %s %v/%v id %d off %d, want %+v", i, f.Name, f.Type.Base, f.Type.Element, f.ID, f.Offset, w)
		}
	}
	side := order.Field("side")
	if side.Type.Enum == nil || side.Type.Enum.Name != "orders.Side" {
		t.Errorf("side enum = %v", side.Type.Enum)
	}
	if len(order.Doc) != 1 || order.Doc[0] != " Order is one limit order." {
		t.Errorf("Order doc = %q", order.Doc)
	}

	svc := s.Service("orders.Orders")
	if svc == nil {
		t.Fatal("service orders.Orders missing")
	}
	if svc.Short() != "Orders" || svc.Namespace() != "orders" {
		t.Errorf("service names %q %q", svc.Short(), svc.Namespace())
	}
	if len(svc.Calls) != 2 {
		t.Fatalf("%d calls", len(svc.Calls))
	}
	calls := map[string]*schema.Call{}
	for _, c := range svc.Calls {
		calls[c.Name] = c
	}
	cr, gt := calls["CreateOrder"], calls["GetOrder"]
	if cr == nil || cr.Request != order || cr.Response != s.Object("orders.OrderId") {
		t.Errorf("CreateOrder = %+v", cr)
	}
	if gt == nil || gt.Request != s.Object("orders.OrderId") || gt.Response != order {
		t.Errorf("GetOrder = %+v", gt)
	}
	if _, ok := gt.Attributes.Get("idempotent"); !ok {
		t.Errorf("GetOrder attributes = %v, want idempotent", gt.Attributes)
	}
	if len(cr.Doc) == 0 {
		t.Errorf("CreateOrder has no doc")
	}
}

func TestLoadRejectsGarbage(t *testing.T) {
	for _, b := range [][]byte{nil, []byte("short"), []byte("\x08\x00\x00\x00BFBS\xff\xff\xff\x7f")} {
		if _, err := schema.Load(b); !errors.Is(err, schema.ErrBadSchema) {
			t.Errorf("Load(%q) = %v, want ErrBadSchema", b, err)
		}
	}
}

func TestCompileError(t *testing.T) {
	if _, err := exec.LookPath("flatc"); err != nil {
		t.Skip("flatc not installed:", err)
	}
	_, err := schema.Compile(context.Background(), "testdata/does-not-exist.fbs", schema.CompileOptions{})
	if !errors.Is(err, schema.ErrFlatc) {
		t.Errorf("err = %v, want ErrFlatc", err)
	}
}
