package peer

import (
	"context"
	"errors"
	"net"

	"github.com/cellsubstrate/cell/bench/internal/orders"
	"github.com/cellsubstrate/cell/bench/internal/pb"
	"storj.io/drpc/drpcconn"
	"storj.io/drpc/drpcmux"
	"storj.io/drpc/drpcserver"
)

// drpcSystem is storj's drpc with protobuf: the lean Go RPC. A drpc connection
// carries one call at a time, so it is not Multiplexed.
type drpcSystem struct{}

func (drpcSystem) Name() string         { return "drpc" }
func (drpcSystem) Transports() []string { return []string{"unix"} }

type drpcOrders struct{}

func (drpcOrders) CreateOrder(_ context.Context, o *pb.Order) (*pb.OrderId, error) {
	return orders.HandleProto(o), nil
}

func (drpcSystem) Serve(ctx context.Context, ep Endpoint, ready func(string)) error {
	ln, err := listen(ep)
	if err != nil {
		return err
	}
	mux := drpcmux.New()
	if err := pb.DRPCRegisterOrders(mux, drpcOrders{}); err != nil {
		return err
	}
	s := drpcserver.New(mux)
	ready(ln.Addr().String())
	err = s.Serve(ctx, ln)
	if errors.Is(err, net.ErrClosed) || ctx.Err() != nil {
		return nil
	}
	return err
}

type drpcConn struct {
	conn   *drpcconn.Conn
	client pb.DRPCOrdersClient
	req    *pb.Order
	want   uint64
}

func (drpcSystem) Dial(ctx context.Context, ep Endpoint, order orders.Fields) (Conn, error) {
	nc, err := dialNet(ctx, ep)
	if err != nil {
		return nil, err
	}
	conn := drpcconn.New(nc)
	return &drpcConn{conn: conn, client: pb.NewDRPCOrdersClient(conn), req: order.Proto(), want: order.Expect()}, nil
}

func (c *drpcConn) Call() error {
	r, err := c.client.CreateOrder(context.Background(), c.req)
	if err != nil {
		return err
	}
	if r.GetId() != c.want {
		return &orders.ErrMismatch{Got: r.GetId(), Want: c.want}
	}
	return nil
}

func (c *drpcConn) Close() error { return c.conn.Close() }
