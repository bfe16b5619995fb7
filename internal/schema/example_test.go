package schema_test

import (
	"context"
	"fmt"

	"github.com/cellsubstrate/cell/internal/schema"
)

// Compile a schema with flatc and walk its services.
func Example() {
	s, err := schema.Compile(context.Background(), "../../examples/orders/orders.fbs", schema.CompileOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, svc := range s.Services {
		for _, c := range svc.Calls {
			fmt.Printf("%s.%s(%s): %s\n", svc.Short(), c.Name, c.Request.Short(), c.Response.Short())
		}
	}
	// Output:
	// Orders.CreateOrder(Order): OrderId
	// Orders.GetOrder(OrderId): Order
}
