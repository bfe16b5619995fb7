// Command client finds the Orders service by name, creates an order and reads it
// back, and says which path the connection runs on.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"os"
	"time"

	"github.com/cellsubstrate/cell/examples/orders"
	"github.com/cellsubstrate/cell/rpc"
)

func main() {
	transport := flag.String("transport", "auto", "auto, shm, unix or tcp")
	calls := flag.Int("latency", 0, "then measure this many calls per path and tier, and print percentiles")
	spin := flag.Duration("spin", 0, "on shared memory, spin this long before parking while waiting for a reply")
	flag.Parse()
	// Quiet: gnet announces its event loops at Info level.
	opts := rpc.ClientOptions{Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	switch *transport {
	case "shm":
		opts.Transport = rpc.TransportSHM
	case "unix":
		opts.Transport = rpc.TransportUnix
	case "tcp":
		opts.Transport = rpc.TransportTCP
	}
	opts.Spin = *spin
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := orders.NewOrdersClient(ctx, opts)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	fmt.Printf("found %s (instance %s), path %s\n", orders.OrdersServiceName, c.Client().Instance(), c.Client().Path())

	id, err := c.CreateOrder(ctx, &orders.OrderT{Symbol: "ACME", Side: orders.SideBuy, Quantity: 10, Price: 12345, ClientName: "demo", Tags: []string{"example"}})
	if err != nil {
		log.Fatal(err)
	}
	o, err := c.GetOrder(ctx, id)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("order %d: %s %d %s at %d for %s %v\n", o.Id, orders.EnumNamesSide[o.Side], o.Quantity, o.Symbol, o.Price, o.ClientName, o.Tags)

	if *calls > 0 {
		if err := latency(os.Stdout, *calls, opts); err != nil {
			log.Fatal(err)
		}
	}
}
