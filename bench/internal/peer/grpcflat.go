package peer

import (
	"context"
	"fmt"
	"sync"

	"github.com/cellsubstrate/cell/bench/internal/orders"
	fbs "github.com/cellsubstrate/cell/examples/orders"
	flatbuffers "github.com/google/flatbuffers/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// grpcFlatSystem is gRPC-go carrying the FlatBuffers order instead of protobuf, to
// separate the cost of the transport from the cost of the encoding. It carries
// the Order and OrderId tables of examples/orders (cell's own generated types),
// verified with the same generated verifiers cell runs (ReadOrder, ReadOrderId),
// through a gRPC codec that passes FlatBuffers bytes (flatBytes) and a
// hand-written service description equivalent to what `flatc --grpc` generates.
type grpcFlatSystem struct{}

func (grpcFlatSystem) Name() string         { return "grpc-flatbuffers" }
func (grpcFlatSystem) Transports() []string { return []string{"unix"} }
func (grpcFlatSystem) Multiplexed() bool    { return true }

// flatBytes is one FlatBuffers message as gRPC sees it.
type flatBytes struct{ b []byte }

// flatCodec hands FlatBuffers bytes to gRPC and back. Marshal copies because gRPC
// may write the bytes after Invoke's send returns while the caller reuses its
// Builder; Unmarshal copies because gRPC recycles the receive buffer once
// Unmarshal returns (as protobuf copies its strings).
type flatCodec struct{}

func (flatCodec) Name() string { return "flatbuffers" }

func (flatCodec) Marshal(v any) ([]byte, error) {
	m, ok := v.(*flatBytes)
	if !ok {
		return nil, fmt.Errorf("flatbuffers codec: cannot marshal %T", v)
	}
	return append([]byte(nil), m.b...), nil
}

func (flatCodec) Unmarshal(data []byte, v any) error {
	m, ok := v.(*flatBytes)
	if !ok {
		return fmt.Errorf("flatbuffers codec: cannot unmarshal into %T", v)
	}
	m.b = append(m.b[:0], data...)
	return nil
}

const flatMethod = "/orders.Orders/CreateOrder"

var builders = sync.Pool{New: func() any { return flatbuffers.NewBuilder(512) }}

func flatCreateOrder(_ any, ctx context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
	var in flatBytes
	if err := dec(&in); err != nil {
		return nil, err
	}
	var o fbs.Order
	if err := fbs.ReadOrder(in.b, &o); err != nil {
		return nil, err
	}
	b := builders.Get().(*flatbuffers.Builder)
	out := &flatBytes{b: orders.BuildFlatReply(b, orders.DigestFlat(&o))}
	// Marshal copies out.b before the handler's caller lets go of it; the builder
	// is returned to the pool only after that copy, by flatServerCodec.Marshal.
	return &pooledReply{flatBytes: out, b: b}, nil
}

// pooledReply returns its builder to the pool once gRPC has marshalled it.
type pooledReply struct {
	*flatBytes
	b *flatbuffers.Builder
}

type flatServerCodec struct{ flatCodec }

func (flatServerCodec) Marshal(v any) ([]byte, error) {
	if p, ok := v.(*pooledReply); ok {
		out := append([]byte(nil), p.flatBytes.b...)
		builders.Put(p.b)
		return out, nil
	}
	return flatCodec{}.Marshal(v)
}

var flatServiceDesc = grpc.ServiceDesc{
	ServiceName: "orders.Orders",
	HandlerType: (*any)(nil),
	Methods:     []grpc.MethodDesc{{MethodName: "CreateOrder", Handler: flatCreateOrder}},
	Metadata:    "orders.fbs",
}

func (grpcFlatSystem) Serve(ctx context.Context, ep Endpoint, ready func(string)) error {
	ln, err := listen(ep)
	if err != nil {
		return err
	}
	s := grpc.NewServer(grpc.ForceServerCodec(flatServerCodec{}))
	s.RegisterService(&flatServiceDesc, struct{}{})
	return serveGRPC(ctx, s, ln.Addr().String(), ready, func() error { return s.Serve(ln) })
}

type grpcFlatConn struct {
	cc    *grpc.ClientConn
	order orders.Fields
	want  uint64
}

func (grpcFlatSystem) Dial(ctx context.Context, ep Endpoint, order orders.Fields) (Conn, error) {
	cc, err := grpc.NewClient(grpcTarget(ep), grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodec(flatCodec{})))
	if err != nil {
		return nil, err
	}
	return &grpcFlatConn{cc: cc, order: order, want: order.Expect()}, nil
}

// Call builds the order into a pooled Builder (the FlatBuffers counterpart of
// protobuf's per-call Marshal), invokes, and reads the reply in place.
func (c *grpcFlatConn) Call() error {
	b := builders.Get().(*flatbuffers.Builder)
	req := flatBytes{b: c.order.BuildFlat(b)}
	var rep flatBytes
	err := c.cc.Invoke(context.Background(), flatMethod, &req, &rep)
	builders.Put(b)
	if err != nil {
		return err
	}
	var r fbs.OrderId
	if err := fbs.ReadOrderId(rep.b, &r); err != nil {
		return err
	}
	if id := r.Id(); id != c.want {
		return &orders.ErrMismatch{Got: id, Want: c.want}
	}
	return nil
}

func (c *grpcFlatConn) Close() error { return c.cc.Close() }
