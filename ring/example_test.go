//go:build linux

package ring_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/cellsubstrate/cell/ring"
	"golang.org/x/sys/unix"
)

// A Pipe streams records between goroutines of one process through a ring.
func ExamplePipe() {
	p, err := ring.NewPipe(ring.Config{Size: 4096})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer p.Close()
	prod, cons := p.Producer(), p.Consumer()

	b, _ := prod.TryReserve(5) // 5 contiguous bytes in the ring
	copy(b, "hello")
	prod.Commit(5)

	rec, _ := cons.TryPeek() // read in place
	fmt.Printf("%s\n", rec)
	cons.Release()
	// Output: hello
}

// Connect and Accept set up a duplex connection over a SOCK_SEQPACKET socket. Here both
// sides run in one process; in cell they are two processes and the socket is a
// service's control socket.
func ExampleConnect() {
	fds, _ := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	conn := func(fd int) *net.UnixConn {
		f := os.NewFile(uintptr(fd), "ctl")
		defer f.Close()
		c, _ := net.FileConn(f)
		return c.(*net.UnixConn)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	accepted := make(chan *ring.Conn)
	go func() { // server: echo one record
		s, err := ring.Accept(ctx, conn(fds[1]), ring.Config{})
		if err != nil {
			fmt.Println(err)
			close(accepted)
			return
		}
		rec, _ := s.Consumer().Peek(ctx)
		s.Producer().Write(ctx, append([]byte("echo: "), rec...))
		s.Consumer().Release()
		accepted <- s
	}()

	c, err := ring.Connect(ctx, conn(fds[0]), ring.Config{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	c.Producer().Write(ctx, []byte("ping"))
	reply, _ := c.Consumer().Peek(ctx)
	fmt.Printf("%s\n", reply)
	c.Consumer().Release()
	if s := <-accepted; s != nil {
		s.Close()
	}
	// Output: echo: ping
}
