package fb_test

import (
	"fmt"

	"github.com/cellsubstrate/cell/examples/orders"
	"github.com/cellsubstrate/cell/frame/fb"
)

// Build an order straight into a slot (a ring record, say), then verify it and read
// it in place on the other side.
func Example() {
	slot := make([]byte, 128) // memory the transport reserved
	sb := fb.NewSlotBuilder()

	b := sb.Start(slot)
	sym := b.CreateString("ACME")
	orders.OrderStart(b)
	orders.OrderAddId(b, 42)
	orders.OrderAddSymbol(b, sym)
	orders.OrderAddQuantity(b, 100)
	payload, err := sb.FinishPayload(orders.OrderEnd(b))
	if err != nil {
		fmt.Println(err) // ErrSlotOverflow: reserve more and build again
		return
	}

	// The receiver: verify, then read in place.
	var o orders.Order
	if err := orders.ReadOrder(payload, &o); err != nil {
		fmt.Println("bad order:", err)
		return
	}
	fmt.Println(o.Id(), string(o.Symbol()), o.Quantity())

	// A damaged buffer gets a typed error naming the field.
	payload[0] = 0xff
	fmt.Println(orders.VerifyOrder(payload))
	// Output:
	// 42 ACME 100
	// fb: orders.Order at byte 255: fb: out of bounds
}
