package peer

import (
	"context"

	"github.com/cellsubstrate/cell/bench/internal/orders"
	"github.com/cellsubstrate/cell/bench/internal/pb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// grpcSystem is gRPC-go with protobuf: what most users would pick.
type grpcSystem struct{}

func (grpcSystem) Name() string         { return "grpc" }
func (grpcSystem) Transports() []string { return []string{"unix", "tcp"} }
func (grpcSystem) Multiplexed() bool    { return true }

type grpcOrders struct {
	pb.UnimplementedOrdersServer
}

func (grpcOrders) CreateOrder(_ context.Context, o *pb.Order) (*pb.OrderId, error) {
	return orders.HandleProto(o), nil
}

func (grpcSystem) Serve(ctx context.Context, ep Endpoint, ready func(string)) error {
	ln, err := listen(ep)
	if err != nil {
		return err
	}
	s := grpc.NewServer()
	pb.RegisterOrdersServer(s, grpcOrders{})
	return serveGRPC(ctx, s, ln.Addr().String(), ready, func() error { return s.Serve(ln) })
}

func serveGRPC(ctx context.Context, s *grpc.Server, addr string, ready func(string), serve func() error) error {
	ready(addr)
	errc := make(chan error, 1)
	go func() { errc <- serve() }()
	select {
	case <-ctx.Done():
		s.Stop()
		return nil
	case err := <-errc:
		return err
	}
}

// grpcTarget is the gRPC dial target for ep.
func grpcTarget(ep Endpoint) string {
	if ep.Transport == "tcp" {
		return "passthrough:///" + ep.Addr
	}
	return "unix://" + ep.Addr
}

type grpcConn struct {
	cc     *grpc.ClientConn
	client pb.OrdersClient
	req    *pb.Order
	want   uint64
}

func (grpcSystem) Dial(ctx context.Context, ep Endpoint, order orders.Fields) (Conn, error) {
	cc, err := grpc.NewClient(grpcTarget(ep), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, err
	}
	return &grpcConn{cc: cc, client: pb.NewOrdersClient(cc), req: order.Proto(), want: order.Expect()}, nil
}

// Call marshals the request (gRPC encodes it on every call), waits for the reply
// and checks it. Safe for concurrent use: the request message is only read.
func (c *grpcConn) Call() error {
	r, err := c.client.CreateOrder(context.Background(), c.req)
	if err != nil {
		return err
	}
	if r.GetId() != c.want {
		return &orders.ErrMismatch{Got: r.GetId(), Want: c.want}
	}
	return nil
}

func (c *grpcConn) Close() error { return c.cc.Close() }
