package rpc_test

import (
	"context"
	"fmt"
	"github.com/cellsubstrate/cell/internal/affinity"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	flatbuffers "github.com/google/flatbuffers/go"

	"github.com/cellsubstrate/cell/examples/orders"
	"github.com/cellsubstrate/cell/frame/fb"
	"github.com/cellsubstrate/cell/rpc"
)

// buildOrder writes the benchmark's order (about 100 bytes) with b, in one step
// with the generated OrderBuild.
func buildOrder(b *flatbuffers.Builder, id uint64) flatbuffers.UOffsetT {
	return orders.OrderBuild(b, &orders.OrderFields{
		Id: id, Symbol: "ACME", Side: orders.SideSell, Quantity: 100, Price: 12345,
		ClientName: "bench", Tags: benchTags,
	})
}

var benchTags = []string{"day", "limit"}

// buildOrderStd writes the same order with flatc's OrderStart/OrderAdd*/OrderEnd,
// one Prepend per field: the baseline for buildOrder.
func buildOrderStd(b *flatbuffers.Builder, id uint64) flatbuffers.UOffsetT {
	t1 := b.CreateString("day")
	t2 := b.CreateString("limit")
	orders.OrderStartTagsVector(b, 2)
	b.PrependUOffsetT(t2)
	b.PrependUOffsetT(t1)
	tags := b.EndVector(2)
	sym := b.CreateString("ACME")
	name := b.CreateString("bench")
	orders.OrderStart(b)
	orders.OrderAddId(b, id)
	orders.OrderAddSymbol(b, sym)
	orders.OrderAddSide(b, orders.SideSell)
	orders.OrderAddQuantity(b, 100)
	orders.OrderAddPrice(b, 12345)
	orders.OrderAddClientName(b, name)
	orders.OrderAddTags(b, tags)
	return orders.OrderEnd(b)
}

// BenchmarkBuild measures building the request of BenchmarkUnary alone, in a
// reused 512-byte slot as the client does: gen is the generated OrderBuild the
// benchmarks use, flatc flatc's one-field-at-a-time API (the baseline).
func BenchmarkBuild(b *testing.B) {
	for _, c := range []struct {
		name  string
		build func(*flatbuffers.Builder, uint64) flatbuffers.UOffsetT
	}{{"gen", buildOrder}, {"flatc", buildOrderStd}} {
		b.Run(c.name, func(b *testing.B) {
			slot := make([]byte, 512)
			sb := fb.NewSlotBuilder()
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				fbb := sb.Start(slot)
				if _, err := sb.Finish(c.build(fbb, uint64(i))); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkUnary measures one CreateOrder round trip (an order of about 100 bytes
// out, its id back, both written and read) with one call in flight, between this
// process and a server process, on every path and in both tiers:
//
//	shm-spin  shared memory, client and server spin 50µs before parking
//	shm-park  shared memory, no spin: every wake-up is a futex wake
//	unix      netpath over a Unix socket
//	tcp       netpath over TCP loopback
//
// zerocopy builds the request for its ring slot (with the generated OrderBuild) and
// reads the reply in place; shm-spin/zerocopy-flatc is the same with the request
// built by flatc's OrderStart/OrderAdd*/OrderEnd, the baseline for OrderBuild; object
// packs an OrderT and unpacks an OrderIdT. The server is the zero-copy echo of
// testServer. Placement is the scheduler's (no taskset): on a 2-vCPU machine the
// spinning case only pays when both sides get a core. Each op's latency goes into an
// HDR histogram reported as p50-ns, p99-ns and p999-ns.
//
// Set CELL_BENCH_CPUS=c,s to pin this process to CPU c and the server to CPU s.
func BenchmarkUnary(b *testing.B) {
	parkCfg, spinCfg := peerConfig{}, peerConfig{spin: 50 * time.Microsecond}
	if cc, sc, ok := benchCPUs(); ok {
		restore, err := affinity.Process(cc)
		if err != nil {
			b.Fatal(err)
		}
		defer restore()
		parkCfg.cpu, parkCfg.pinned = sc, true
		spinCfg.cpu, spinCfg.pinned = sc, true
		b.Logf("placement: client on CPU %d, server on CPU %d", cc, sc)
	} else {
		b.Logf("placement: the scheduler's (set CELL_BENCH_CPUS=client,server to pin)")
	}
	parkDir, spinDir := testDir(b), testDir(b)
	park := startPeer(b, parkDir, parkCfg)
	spin := startPeer(b, spinDir, spinCfg)
	defer park.stop(b)
	defer spin.stop(b)
	cases := []struct {
		name string
		dir  string
		opts rpc.ClientOptions
		path rpc.Path
	}{
		{"shm-spin", spinDir, rpc.ClientOptions{Transport: rpc.TransportSHM, Spin: 50 * time.Microsecond}, rpc.PathSHM},
		{"shm-park", parkDir, rpc.ClientOptions{Transport: rpc.TransportSHM}, rpc.PathSHM},
		{"unix", parkDir, rpc.ClientOptions{Transport: rpc.TransportUnix}, rpc.PathUnix},
		{"tcp", parkDir, rpc.ClientOptions{Transport: rpc.TransportTCP}, rpc.PathTCP},
	}
	for _, tc := range cases {
		opts := tc.opts
		opts.Dir, opts.Logger = tc.dir, quietLogger()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		c, err := orders.NewOrdersClient(ctx, opts)
		cancel()
		if err != nil {
			b.Fatalf("%s: %v", tc.name, err)
		}
		if c.Client().Path() != tc.path {
			b.Fatalf("%s: path %v", tc.name, c.Client().Path())
		}
		b.Run(tc.name+"/zerocopy", func(b *testing.B) { benchZeroCopy(b, c, buildOrder) })
		if tc.name == "shm-spin" {
			// The same with the order built by flatc's one-field-at-a-time API: the
			// baseline for the generated OrderBuild, in the same run.
			b.Run(tc.name+"/zerocopy-flatc", func(b *testing.B) { benchZeroCopy(b, c, buildOrderStd) })
		}
		b.Run(tc.name+"/object", func(b *testing.B) { benchObject(b, c) })
		c.Close()
	}
}

func newHist() *hdrhistogram.Histogram { return hdrhistogram.New(1, int64(10*time.Second), 3) }

func report(b *testing.B, h *hdrhistogram.Histogram) {
	b.ReportMetric(float64(h.ValueAtQuantile(50)), "p50-ns")
	b.ReportMetric(float64(h.ValueAtQuantile(99)), "p99-ns")
	b.ReportMetric(float64(h.ValueAtQuantile(99.9)), "p999-ns")
}

func benchZeroCopy(b *testing.B, c *orders.OrdersClient, order func(*flatbuffers.Builder, uint64) flatbuffers.UOffsetT) {
	ctx := context.Background()
	h := newHist()
	var id, got uint64
	build := func(fb *flatbuffers.Builder) flatbuffers.UOffsetT { return order(fb, id) }
	read := func(rep orders.OrderId) error { got = rep.Id(); return nil }
	// Warm up: pools, hints and the peer's buffers.
	for i := 0; i < 100; i++ {
		id++
		if err := c.CreateOrderInPlace(ctx, build, read); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		id++
		start := time.Now()
		err := c.CreateOrderInPlace(ctx, build, read)
		h.RecordValue(int64(time.Since(start)))
		if err != nil || got != id {
			b.Fatalf("call %d: got %d, %v", id, got, err)
		}
	}
	b.StopTimer()
	report(b, h)
}

func benchObject(b *testing.B, c *orders.OrdersClient) {
	ctx := context.Background()
	h := newHist()
	req := &orders.OrderT{Symbol: "ACME", Side: orders.SideSell, Quantity: 100, Price: 12345, ClientName: "bench", Tags: []string{"day", "limit"}}
	for i := 0; i < 100; i++ {
		req.Id++
		if _, err := c.CreateOrder(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req.Id++
		start := time.Now()
		rep, err := c.CreateOrder(ctx, req)
		h.RecordValue(int64(time.Since(start)))
		if err != nil || rep.Id != req.Id {
			b.Fatal(fmt.Sprint("call ", req.Id, ": ", rep, err))
		}
	}
	b.StopTimer()
	report(b, h)
}
