package peer

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"time"

	fbs "github.com/cellsubstrate/cell/examples/orders"
	"github.com/cellsubstrate/cell/rpc"
	flatbuffers "github.com/google/flatbuffers/go"

	"github.com/cellsubstrate/cell/bench/internal/orders"
)

// cellSpin is how long cell's shared-memory waiters spin before parking on the
// futex in the "cell" rows (the setting for a core per side; rpc's own benchmark
// uses the same). The "cell-park" row spins zero: every wake-up is a futex wake,
// the setting for shared cores.
const cellSpin = 50 * time.Microsecond

// cellSystem is cell through its generated Orders service (examples/orders), in the
// zero-copy tier: the client builds the order straight into the outbound slot and
// reads the reply in place; the server reads the request in place (after the
// generated verifier) and builds the reply into its slot. spin is the shared-memory
// spin budget of both sides.
type cellSystem struct {
	name       string
	transports []string
	spin       time.Duration
}

func (s cellSystem) Name() string         { return s.name }
func (s cellSystem) Transports() []string { return s.transports }
func (cellSystem) Multiplexed() bool      { return true }

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

type cellOrders struct{}

func (cellOrders) CreateOrder(_ context.Context, req fbs.Order, b *flatbuffers.Builder) (flatbuffers.UOffsetT, error) {
	return orders.BuildReplyOneStep(b, orders.DigestFlat(&req)), nil
}

func (cellOrders) GetOrder(context.Context, fbs.OrderId, *flatbuffers.Builder) (flatbuffers.UOffsetT, error) {
	return 0, rpc.Errorf(rpc.CodeUnimplemented, "the bench serves CreateOrder only")
}

func (s cellSystem) Serve(ctx context.Context, ep Endpoint, ready func(string)) error {
	// The registry directory is private to this server; clients find the instance
	// (and its TCP port, for tcp) there: it is the address ready reports.
	dir := filepath.Join(ep.Dir, "cell")
	opts := rpc.ServerOptions{Dir: dir, Spin: s.spin, Logger: quiet}
	if ep.Transport == "tcp" {
		opts.TCPAddr = ep.Addr
	}
	if ep.Transport != "shm" {
		opts.NoSHM = true
	}
	srv, err := rpc.NewServer(opts)
	if err != nil {
		return err
	}
	if err := fbs.RegisterOrdersInPlace(srv, cellOrders{}); err != nil {
		return err
	}
	if err := srv.Start(); err != nil {
		return err
	}
	ready(dir)
	<-ctx.Done()
	return srv.Close()
}

type cellConn struct {
	client *fbs.OrdersClient
	build  func(*flatbuffers.Builder) flatbuffers.UOffsetT
	read   func(fbs.OrderId) error
}

func (s cellSystem) Dial(ctx context.Context, ep Endpoint, order orders.Fields) (Conn, error) {
	opts := rpc.ClientOptions{Dir: ep.Addr, Spin: s.spin, Logger: quiet}
	want := rpc.PathSHM
	switch ep.Transport {
	case "shm":
		opts.Transport = rpc.TransportSHM
	case "unix":
		opts.Transport, want = rpc.TransportUnix, rpc.PathUnix
	case "tcp":
		opts.Transport, want = rpc.TransportTCP, rpc.PathTCP
	default:
		return nil, fmt.Errorf("peer: cell has no transport %q", ep.Transport)
	}
	c, err := fbs.NewOrdersClient(ctx, opts)
	if err != nil {
		return nil, err
	}
	if p := c.Client().Path(); p != want {
		c.Close()
		return nil, fmt.Errorf("peer: cell connected over %v, want %v", p, want)
	}
	id := order.Expect()
	return &cellConn{client: c, build: order.BuildOrderOneStep, read: func(rep fbs.OrderId) error {
		if got := rep.Id(); got != id {
			return &orders.ErrMismatch{Got: got, Want: id}
		}
		return nil
	}}, nil
}

// Call is one CreateOrder in the zero-copy tier. Safe for concurrent use.
func (c *cellConn) Call() error {
	return c.client.CreateOrderInPlace(context.Background(), c.build, c.read)
}

func (c *cellConn) Close() error { return c.client.Close() }

// cellObjectSystem is cell in its convenient tier: the client packs a flatc
// object-API OrderT on every call and gets a freshly unpacked OrderIdT; the server
// implements OrdersServer, which unpacks every request into an OrderT. Shared
// memory only, spinning as the "cell" rows.
type cellObjectSystem struct{}

func (cellObjectSystem) Name() string         { return "cell-object" }
func (cellObjectSystem) Transports() []string { return []string{"shm"} }
func (cellObjectSystem) Multiplexed() bool    { return true }

type cellObjectOrders struct{}

func (cellObjectOrders) CreateOrder(_ context.Context, req *fbs.OrderT) (*fbs.OrderIdT, error) {
	return &fbs.OrderIdT{Id: orders.DigestObject(req)}, nil
}

func (cellObjectOrders) GetOrder(context.Context, *fbs.OrderIdT) (*fbs.OrderT, error) {
	return nil, rpc.Errorf(rpc.CodeUnimplemented, "the bench serves CreateOrder only")
}

func (cellObjectSystem) Serve(ctx context.Context, ep Endpoint, ready func(string)) error {
	dir := filepath.Join(ep.Dir, "cell")
	srv, err := rpc.NewServer(rpc.ServerOptions{Dir: dir, Spin: cellSpin, Logger: quiet})
	if err != nil {
		return err
	}
	if err := fbs.RegisterOrders(srv, cellObjectOrders{}); err != nil {
		return err
	}
	if err := srv.Start(); err != nil {
		return err
	}
	ready(dir)
	<-ctx.Done()
	return srv.Close()
}

type cellObjectConn struct {
	client *fbs.OrdersClient
	req    *fbs.OrderT
	want   uint64
}

func (cellObjectSystem) Dial(ctx context.Context, ep Endpoint, order orders.Fields) (Conn, error) {
	c, err := fbs.NewOrdersClient(ctx, rpc.ClientOptions{Dir: ep.Addr, Spin: cellSpin, Logger: quiet,
		Transport: rpc.TransportSHM})
	if err != nil {
		return nil, err
	}
	return &cellObjectConn{client: c, req: order.Object(), want: order.Expect()}, nil
}

// Call is one CreateOrder in the convenient tier. Safe for concurrent use: the
// request object is only read.
func (c *cellObjectConn) Call() error {
	rep, err := c.client.CreateOrder(context.Background(), c.req)
	if err != nil {
		return err
	}
	if rep.Id != c.want {
		return &orders.ErrMismatch{Got: rep.Id, Want: c.want}
	}
	return nil
}

func (c *cellObjectConn) Close() error { return c.client.Close() }
