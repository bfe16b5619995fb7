package rpc_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"sync"

	flatbuffers "github.com/google/flatbuffers/go"

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

// inPlaceBook is an OrdersInPlaceServer: it reads the request in place and builds the
// reply with the Builder the runtime gives it (on shared memory copied once into the
// reply's ring slot).
type inPlaceBook struct{}

func (inPlaceBook) CreateOrder(ctx context.Context, req orders.Order, b *flatbuffers.Builder) (flatbuffers.UOffsetT, error) {
	orders.OrderIdStart(b)
	orders.OrderIdAddId(b, req.Id()*10)
	return orders.OrderIdEnd(b), nil
}

func (inPlaceBook) GetOrder(ctx context.Context, req orders.OrderId, b *flatbuffers.Builder) (flatbuffers.UOffsetT, error) {
	return 0, rpc.Errorf(rpc.CodeNotFound, "no order %d", req.Id())
}

// The zero-copy tier on both sides: the client builds its request with the runtime's
// Builder (copied once into the outbound slot) and reads the reply in place inside the
// callback; nothing is allocated once warm.
func Example_zeroCopy() {
	dir, _ := os.MkdirTemp("", "cell-example-")
	defer os.RemoveAll(dir)
	srv, _ := rpc.NewServer(rpc.ServerOptions{Dir: dir, Logger: quietLogger()})
	orders.RegisterOrdersInPlace(srv, inPlaceBook{})
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
	err = c.CreateOrderInPlace(ctx,
		func(b *flatbuffers.Builder) flatbuffers.UOffsetT {
			sym := b.CreateString("ACME")
			orders.OrderStart(b)
			orders.OrderAddId(b, 7)
			orders.OrderAddSymbol(b, sym)
			return orders.OrderEnd(b)
		},
		func(rep orders.OrderId) error {
			fmt.Println("id:", rep.Id()) // rep is valid only inside this callback
			return nil
		})
	fmt.Println(err)
	// Output:
	// id: 70
	// <nil>
}
