package rpc_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"sync"

	"github.com/cellsubstrate/cell/examples/orders"
	"github.com/cellsubstrate/cell/rpc"
)

// book is a minimal OrdersServer.
type book struct {
	mu   sync.Mutex
	next uint64
}

func (b *book) CreateOrder(ctx context.Context, o *orders.OrderT) (*orders.OrderIdT, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.next++
	return &orders.OrderIdT{Id: b.next}, nil
}

func (b *book) GetOrder(ctx context.Context, id *orders.OrderIdT) (*orders.OrderT, error) {
	return nil, rpc.Errorf(rpc.CodeNotFound, "no order %d", id.Id)
}

// A server registers the Orders service; a client finds it by name and calls it over
// shared memory. (Both live in one process here; normally they are two programs.)
func Example() {
	dir, _ := os.MkdirTemp("", "cell-example-") // mode 0700, as the registry wants
	defer os.RemoveAll(dir)

	srv, _ := rpc.NewServer(rpc.ServerOptions{Dir: dir, Logger: quietLogger()})
	orders.RegisterOrders(srv, &book{})
	if err := srv.Start(); err != nil {
		log.Fatal(err)
	}
	defer srv.Shutdown(context.Background())

	ctx := context.Background()
	c, err := orders.NewOrdersClient(ctx, rpc.ClientOptions{Dir: dir, Logger: quietLogger()})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	id, err := c.CreateOrder(ctx, &orders.OrderT{Symbol: "ACME", Quantity: 10, Price: 12345})
	fmt.Println("path:", c.Client().Path(), "order id:", id.Id, err)
	_, err = c.GetOrder(ctx, &orders.OrderIdT{Id: 99})
	fmt.Println(err)
	// Output:
	// path: shm order id: 1 <nil>
	// rpc: remote not found: no order 99
}
