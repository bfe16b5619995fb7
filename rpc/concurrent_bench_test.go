package rpc_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	flatbuffers "github.com/google/flatbuffers/go"

	"github.com/cellsubstrate/cell/examples/orders"
	"github.com/cellsubstrate/cell/internal/affinity"
	"github.com/cellsubstrate/cell/rpc"
)

// BenchmarkConcurrentSHM: 4×GOMAXPROCS goroutines call CreateOrder (zero-copy) on one
// shared-memory connection (spinning server), so calls take the general path and
// contend for the request ring's producer and the reply ring's reader role. ns/op is
// the connection's throughput; p50-ns etc. are the callers' latencies. Set
// CELL_BENCH_CPUS=c,s to pin as BenchmarkUnary does.
func BenchmarkConcurrentSHM(b *testing.B) {
	cfg := peerConfig{spin: 50 * time.Microsecond}
	if cc, sc, ok := benchCPUs(); ok {
		restore, err := affinity.Process(cc)
		if err != nil {
			b.Fatal(err)
		}
		defer restore()
		cfg.cpu, cfg.pinned = sc, true
	}
	dir := testDir(b)
	p := startPeer(b, dir, cfg)
	defer p.stop(b)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	c, err := orders.NewOrdersClient(ctx, rpc.ClientOptions{Dir: dir, Transport: rpc.TransportSHM, Spin: 50 * time.Microsecond, Logger: quietLogger()})
	cancel()
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	var mu sync.Mutex
	all := newHist()
	var next atomic.Uint64
	b.ReportAllocs()
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		h := newHist()
		ctx := context.Background()
		id, got := next.Add(1)<<32, uint64(0)
		build := func(fb *flatbuffers.Builder) flatbuffers.UOffsetT { return buildOrder(fb, id) }
		read := func(rep orders.OrderId) error { got = rep.Id(); return nil }
		for pb.Next() {
			id++
			start := time.Now()
			err := c.CreateOrderInPlace(ctx, build, read)
			h.RecordValue(int64(time.Since(start)))
			if err != nil || got != id {
				b.Errorf("call %d: got %d, %v", id, got, err)
				return
			}
		}
		mu.Lock()
		all.Merge(h)
		mu.Unlock()
	})
	b.StopTimer()
	report(b, all)
}
