//go:build !linux

package ring

import (
	"context"
	"errors"
	"net"
)

// Connect is unsupported on this platform: it returns errors.ErrUnsupported.
func Connect(ctx context.Context, ctl *net.UnixConn, cfg Config) (*Conn, error) {
	return nil, errors.ErrUnsupported
}

// Accept is unsupported on this platform: it returns errors.ErrUnsupported.
func Accept(ctx context.Context, ctl *net.UnixConn, cfg Config) (*Conn, error) {
	return nil, errors.ErrUnsupported
}
