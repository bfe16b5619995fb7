//go:build !unix

package netpath

import (
	"context"
	"errors"
	"net"

	"github.com/cellsubstrate/cell/frame"
)

// Server is unavailable on this platform: gnet's event loop and the fd writes need a
// Unix system. Every function returns errors.ErrUnsupported.
type Server struct{}

// Listen returns errors.ErrUnsupported on this platform.
func Listen(addr string, h Handler, cfg ServerConfig) (*Server, error) {
	return nil, errors.ErrUnsupported
}

// Addr returns "".
func (s *Server) Addr() string { return "" }

// Shutdown returns errors.ErrUnsupported.
func (s *Server) Shutdown(ctx context.Context) error { return errors.ErrUnsupported }

// Close returns errors.ErrUnsupported.
func (s *Server) Close() error { return errors.ErrUnsupported }

// Conn is unavailable on this platform.
type Conn struct{}

// RemoteAddr returns nil.
func (c *Conn) RemoteAddr() net.Addr { return nil }

// Reply returns errors.ErrUnsupported.
func (c *Conn) Reply(h *frame.Header, payload []byte) error { return errors.ErrUnsupported }

// ReplyBuild returns errors.ErrUnsupported.
func (c *Conn) ReplyBuild(h *frame.Header, build BuildFunc) error { return errors.ErrUnsupported }

// Close returns errors.ErrUnsupported.
func (c *Conn) Close() error { return errors.ErrUnsupported }

// SetValue does nothing.
func (c *Conn) SetValue(v any) {}

// Value returns nil.
func (c *Conn) Value() any { return nil }

// Client is unavailable on this platform.
type Client struct{}

// Dial returns errors.ErrUnsupported on this platform.
func Dial(ctx context.Context, addr string, cfg ClientConfig) (*Client, error) {
	return nil, errors.ErrUnsupported
}

// Call returns errors.ErrUnsupported.
func (c *Client) Call(ctx context.Context, h *frame.Header, payload []byte, reply ReplyFunc) error {
	return errors.ErrUnsupported
}

// CallBuild returns errors.ErrUnsupported.
func (c *Client) CallBuild(ctx context.Context, h *frame.Header, build BuildFunc, reply ReplyFunc) error {
	return errors.ErrUnsupported
}

// Close returns errors.ErrUnsupported.
func (c *Client) Close() error { return errors.ErrUnsupported }
