package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	flatbuffers "github.com/google/flatbuffers/go"

	"github.com/cellsubstrate/cell/examples/orders"
	"github.com/cellsubstrate/cell/rpc"
)

// latency makes n CreateOrder calls on each path (only opts.Transport's, unless it is
// TransportAuto), one in flight, in both tiers, and prints the round-trip percentiles.
// It is what `make demo` shows; the benchmarks (BenchmarkUnary in package rpc) measure
// the same thing under `go test`.
func latency(w io.Writer, n int, opts rpc.ClientOptions) error {
	paths := []struct {
		name string
		t    rpc.Transport
	}{{"shm", rpc.TransportSHM}, {"unix", rpc.TransportUnix}, {"tcp", rpc.TransportTCP}}
	if opts.Transport != rpc.TransportAuto {
		paths = paths[opts.Transport-1 : opts.Transport]
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "path\ttier\tcalls\tp50\tp99\tp99.9\tmax\t")
	for _, p := range paths {
		o := opts
		o.Transport = p.t
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		c, err := orders.NewOrdersClient(ctx, o)
		cancel()
		if err != nil {
			if p.t == rpc.TransportTCP {
				fmt.Fprintf(tw, "tcp\t(server has no TCP address)\t\t\t\t\t\t\n")
				continue
			}
			return err
		}
		for _, tier := range []string{"zerocopy", "object"} {
			h, err := measure(c, n, tier == "zerocopy")
			if err != nil {
				c.Close()
				return err
			}
			path := c.Client().Path().String()
			if path == "shm" {
				path = "shm-park"
				if o.Spin > 0 {
					path = "shm-spin"
				}
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t\n", path, tier, h.TotalCount(),
				us(h.ValueAtQuantile(50)), us(h.ValueAtQuantile(99)), us(h.ValueAtQuantile(99.9)), us(h.Max()))
		}
		c.Close()
	}
	return tw.Flush()
}

func us(ns int64) string { return fmt.Sprintf("%.1f µs", float64(ns)/1e3) }

// measure times n calls after a warm-up of n/10.
func measure(c *orders.OrdersClient, n int, zerocopy bool) (*hdrhistogram.Histogram, error) {
	ctx := context.Background()
	h := hdrhistogram.New(1, int64(10*time.Second), 3)
	req := &orders.OrderT{Symbol: "ACME", Side: orders.SideSell, Quantity: 100, Price: 12345, ClientName: "demo", Tags: []string{"day", "limit"}}
	var got uint64
	// The zero-copy tier builds the same order in one step (then copied into the ring slot).
	fields := orders.OrderFields{Symbol: req.Symbol, Side: req.Side, Quantity: req.Quantity, Price: req.Price, ClientName: req.ClientName, Tags: req.Tags}
	build := func(b *flatbuffers.Builder) flatbuffers.UOffsetT { return orders.OrderBuild(b, &fields) }
	read := func(rep orders.OrderId) error { got = rep.Id(); return nil }
	for i := -n / 10; i < n; i++ {
		start := time.Now()
		var err error
		if zerocopy {
			err = c.CreateOrderInPlace(ctx, build, read)
		} else {
			var rep *orders.OrderIdT
			if rep, err = c.CreateOrder(ctx, req); err == nil {
				got = rep.Id
			}
		}
		el := time.Since(start)
		if err != nil {
			return nil, err
		}
		if got == 0 {
			fmt.Fprintln(os.Stderr, "server answered id 0")
		}
		if i >= 0 {
			h.RecordValue(int64(el))
		}
	}
	return h, nil
}
