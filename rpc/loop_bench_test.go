package rpc_test

import (
	"context"
	"errors"
	"testing"

	flatbuffers "github.com/google/flatbuffers/go"

	"github.com/cellsubstrate/cell/examples/orders"
	"github.com/cellsubstrate/cell/rpc"
)

// BenchmarkLoop measures the CPU cost of one zero-copy CreateOrder call's software path
// on shared memory (client: begin, build the order, copy it into its slot, send;
// server: parse, verify, handler, reply built and copied into its slot; client: read, verify and read the reply,
// End) with both sides driven by one goroutine over in-process rings: no cross-core
// transfer and no waiting, so it isolates what the runtime and the FlatBuffers work
// cost from what BenchmarkUnary's round trip adds.
func BenchmarkLoop(b *testing.B) {
	impl := newTestServer()
	l, err := rpc.NewLoop(&orders.OrdersDesc, func(s *rpc.Server) error { return orders.RegisterOrdersInPlace(s, impl) })
	if errors.Is(err, errors.ErrUnsupported) {
		b.Skip("shared-memory rings are not supported on this platform")
	}
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	ctx := context.Background()
	var id uint64
	build := func(fb *flatbuffers.Builder) flatbuffers.UOffsetT { return buildOrder(fb, id) }
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		id++
		call, err := l.Send(ctx, orders.OrdersCreateOrder, build)
		if err != nil {
			b.Fatal(err)
		}
		if err := l.Serve(); err != nil {
			b.Fatal(err)
		}
		buf, err := l.Recv(call)
		if err != nil {
			b.Fatal(err)
		}
		var rep orders.OrderId
		if err := orders.ReadOrderId(buf, &rep); err != nil || rep.Id() != id {
			b.Fatalf("call %d: got %d, %v", id, rep.Id(), err)
		}
		call.End()
	}
}
