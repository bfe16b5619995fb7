package ring_test

import (
	"context"

	"github.com/cellsubstrate/cell/ring"
)

func benchPeer(ctx context.Context, c *ring.Conn) int { return 0 }
