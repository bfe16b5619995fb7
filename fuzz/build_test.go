package fuzz_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/cellsubstrate/cell/examples/orders"
	"github.com/cellsubstrate/cell/frame/fb"
	"github.com/cellsubstrate/cell/internal/ordertest"
	flatbuffers "github.com/google/flatbuffers/go"
)

// FuzzOrderBuild: for any field values, the generated OrderBuild, building in a slot
// (sometimes too small, so the Builder grows out of it), writes a buffer that passes
// VerifyOrder and holds the same fields, in the same slots, with the same values, as
// flatc's API writes. tags is split at ',' when hasTags.
func FuzzOrderBuild(f *testing.F) {
	f.Add(uint64(1), "ACME", int8(1), uint32(100), int64(12345), "bench", "day,limit", true, uint16(512))
	f.Add(uint64(0), "", int8(0), uint32(0), int64(0), "", "", false, uint16(0))
	f.Add(uint64(1<<63), strings.Repeat("s", 200), int8(-1), uint32(1<<31), int64(-1), "ü", ",,", true, uint16(40))
	f.Fuzz(func(t *testing.T, id uint64, sym string, side int8, qty uint32, price int64, name, tags string, hasTags bool, slotSize uint16) {
		o := &orders.OrderFields{Id: id, Symbol: sym, Side: orders.Side(side), Quantity: qty, Price: price, ClientName: name}
		if hasTags {
			o.Tags = strings.Split(tags, ",")
		}
		ref := flatbuffers.NewBuilder(0)
		ref.Finish(ordertest.BuildFlatc(ref, o))
		sb := fb.NewSlotBuilder()
		buf, err := sb.Finish(orders.OrderBuild(sb.Start(make([]byte, slotSize)), o))
		if err != nil && err != fb.ErrSlotOverflow {
			t.Fatal(err)
		}
		var a, b orders.Order
		if err := orders.ReadOrder(buf, &a); err != nil {
			t.Fatalf("OrderBuild's buffer fails verification: %v", err)
		}
		if err := orders.ReadOrder(ref.FinishedBytes(), &b); err != nil {
			t.Fatalf("flatc's buffer fails verification: %v", err)
		}
		if sa, sb := ordertest.Present(buf), ordertest.Present(ref.FinishedBytes()); !reflect.DeepEqual(sa, sb) {
			t.Fatalf("present fields %v, flatc's %v", sa, sb)
		}
		if ua, ub := a.UnPack(), b.UnPack(); !reflect.DeepEqual(ua, ub) {
			t.Fatalf("read back %+v, flatc's %+v", ua, ub)
		}
		if a.Id() != id || string(a.Symbol()) != sym || string(a.ClientName()) != name || a.Price() != price {
			t.Fatalf("read back %+v", a.UnPack())
		}
	})
}
