package peer

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"

	"github.com/cellsubstrate/cell/bench/internal/orders"
	"github.com/cellsubstrate/cell/bench/internal/pb"
	"google.golang.org/protobuf/proto"
)

// netFloor is the plain net ping-pong: the client writes as many bytes as gRPC's
// protobuf request for the same order and reads as many as its reply; the server
// reads the request in full and writes the reply. No framing, no encoding, no
// handler: the cost of the socket alone, on the same socket type.
type netFloor struct{}

func (netFloor) Name() string         { return "floor-net" }
func (netFloor) Transports() []string { return []string{"unix", "tcp"} }

// floorSizes are the request and reply byte counts for an order of nominal size.
func floorSizes(size int) (req, rep int) {
	f := orders.Sample(size)
	return proto.Size(f.Proto()), proto.Size(&pb.OrderId{Id: f.Expect()})
}

func (netFloor) Serve(ctx context.Context, ep Endpoint, ready func(string)) error {
	ln, err := listen(ep)
	if err != nil {
		return err
	}
	reqN, repN := floorSizes(ep.Size)
	ready(ln.Addr().String())
	var wg sync.WaitGroup
	go func() {
		<-ctx.Done()
		ln.Close()
	}()
	for {
		c, err := ln.Accept()
		if err != nil {
			wg.Wait()
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			req, rep := make([]byte, reqN), make([]byte, repN)
			for {
				if _, err := io.ReadFull(c, req); err != nil {
					return
				}
				rep[0] = req[0]
				if _, err := c.Write(rep); err != nil {
					return
				}
			}
		}()
	}
}

type netFloorConn struct {
	c        net.Conn
	req, rep []byte
}

func (netFloor) Dial(ctx context.Context, ep Endpoint, order orders.Fields) (Conn, error) {
	c, err := dialNet(ctx, ep)
	if err != nil {
		return nil, err
	}
	reqN, repN := floorSizes(ep.Size)
	return &netFloorConn{c: c, req: make([]byte, reqN), rep: make([]byte, repN)}, nil
}

// Call writes the request bytes (the first byte changes every call) and reads the
// reply, checking the server echoed that byte.
func (c *netFloorConn) Call() error {
	c.req[0]++
	if _, err := c.c.Write(c.req); err != nil {
		return err
	}
	if _, err := io.ReadFull(c.c, c.rep); err != nil {
		return err
	}
	if c.rep[0] != c.req[0] {
		return &orders.ErrMismatch{Got: uint64(c.rep[0]), Want: uint64(c.req[0])}
	}
	return nil
}

func (c *netFloorConn) Close() error { return c.c.Close() }
