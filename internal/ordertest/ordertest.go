// Package ordertest holds what the tests of the generated Order builder share: the
// reference build through flatc's API, and which fields a built buffer holds. Tests only.
package ordertest

import (
	flatbuffers "github.com/google/flatbuffers/go"

	"github.com/cellsubstrate/cell/examples/orders"
	"github.com/cellsubstrate/cell/frame/fb"
)

// BuildFlatc writes o with flatc's OrderStart/OrderAdd*/OrderEnd under the rules
// OrderBuild documents (an empty string and a nil vector are absent, id is always
// written): the reference OrderBuild must match.
func BuildFlatc(b *flatbuffers.Builder, o *orders.OrderFields) flatbuffers.UOffsetT {
	var sym, name, tags flatbuffers.UOffsetT
	if o.Symbol != "" {
		sym = b.CreateString(o.Symbol)
	}
	if o.ClientName != "" {
		name = b.CreateString(o.ClientName)
	}
	if o.Tags != nil {
		offs := make([]flatbuffers.UOffsetT, len(o.Tags))
		for i, s := range o.Tags {
			offs[i] = b.CreateString(s)
		}
		orders.OrderStartTagsVector(b, len(offs))
		for i := len(offs) - 1; i >= 0; i-- {
			b.PrependUOffsetT(offs[i])
		}
		tags = b.EndVector(len(offs))
	}
	orders.OrderStart(b)
	b.PrependUint64(o.Id) // a ulong whose default reads as 0: always written
	b.Slot(0)
	orders.OrderAddSymbol(b, sym)
	orders.OrderAddSide(b, o.Side)
	orders.OrderAddQuantity(b, o.Quantity)
	orders.OrderAddPrice(b, o.Price)
	orders.OrderAddClientName(b, name)
	orders.OrderAddTags(b, tags)
	return orders.OrderEnd(b)
}

// Present lists which vtable slots of the root table of buf hold a field.
func Present(buf []byte) []bool {
	t := flatbuffers.Table{Bytes: buf, Pos: fb.RootPos(buf)}
	var out []bool
	for slot := flatbuffers.VOffsetT(4); slot < 4+2*7; slot += 2 {
		out = append(out, t.Offset(slot) != 0)
	}
	return out
}
