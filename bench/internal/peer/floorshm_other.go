//go:build !linux

package peer

import (
	"context"
	"errors"
	"os"
	"syscall"
)

func newSharedFile(size int) (*os.File, error) { return nil, errors.ErrUnsupported }

func serveShm(ctx context.Context, ep Endpoint, ready func(string), park bool) error {
	return errors.ErrUnsupported
}

func dialShm(ep Endpoint, park bool) (Conn, error) { return nil, errors.ErrUnsupported }

func childAttr() *syscall.SysProcAttr { return nil }
