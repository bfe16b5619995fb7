//go:build unix

package netpath_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/cellsubstrate/cell/frame"
	"github.com/cellsubstrate/cell/netpath"
)

// An echo service over a Unix socket: the handler appends its reply straight into the
// connection's outbound buffer, and the caller reads the reply in place.
func Example() {
	dir, _ := os.MkdirTemp("", "netpath-example")
	defer os.RemoveAll(dir)
	addr := "unix://" + filepath.Join(dir, "echo.sock")

	srv, err := netpath.Listen(addr, func(c *netpath.Conn, h *frame.Header, payload []byte) {
		if h.Kind != frame.KindRequest {
			return
		}
		reply := frame.Header{Kind: frame.KindReply, CallID: h.CallID}
		_ = c.ReplyBuild(&reply, func(dst []byte) []byte {
			dst = append(dst, "echo: "...)
			return append(dst, payload...)
		})
	}, netpath.ServerConfig{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cl, err := netpath.Dial(ctx, addr, netpath.ClientConfig{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer cl.Close()

	req := frame.Header{Kind: frame.KindRequest, Method: 1}
	err = cl.Call(ctx, &req, []byte("hello"), func(h *frame.Header, payload []byte) error {
		fmt.Println(string(payload)) // valid only inside the callback
		return nil
	})
	fmt.Println(err)
	// Output:
	// echo: hello
	// <nil>
}
