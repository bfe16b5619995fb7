// Command server serves the Orders service: it registers under the name
// "orders.Orders" in the registry directory, so clients on this host find it with no
// address, and serves calls over shared memory and netpath until SIGINT or SIGTERM,
// then drains the calls in flight and exits.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/cellsubstrate/cell/examples/orders"
	"github.com/cellsubstrate/cell/rpc"
)

// store is the user code: an in-memory order book.
type store struct {
	mu     sync.Mutex
	orders map[uint64]*orders.OrderT
	next   uint64
}

func (s *store) CreateOrder(ctx context.Context, o *orders.OrderT) (*orders.OrderIdT, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.next++
	o.Id = s.next
	s.orders[o.Id] = o
	return &orders.OrderIdT{Id: o.Id}, nil
}

func (s *store) GetOrder(ctx context.Context, id *orders.OrderIdT) (*orders.OrderT, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o, ok := s.orders[id.Id]; ok {
		return o, nil
	}
	return nil, rpc.Errorf(rpc.CodeNotFound, "no order %d", id.Id)
}

func main() {
	tcp := flag.String("tcp", "", "also serve netpath on this TCP address (e.g. 127.0.0.1:0)")
	spin := flag.Duration("spin", 0, "on shared memory, spin this long before parking while waiting for a request")
	flag.Parse()
	quiet := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv, err := rpc.NewServer(rpc.ServerOptions{TCPAddr: *tcp, Spin: *spin, Logger: quiet})
	if err != nil {
		log.Fatal(err)
	}
	if err := orders.RegisterOrders(srv, &store{orders: map[uint64]*orders.OrderT{}}); err != nil {
		log.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("serving %s as instance %s (pid %d)\n", orders.OrdersServiceName, srv.Instances()[0], os.Getpid())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	<-sig
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println("server stopped")
}
