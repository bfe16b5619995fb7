//go:build unix

package netpath_test

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/cellsubstrate/cell/frame"
	"github.com/cellsubstrate/cell/netpath"
)

// The server process is killed with SIGKILL while calls are in flight: every call ends
// promptly with ErrPeerGone (none hangs to its deadline), new calls fail with
// ErrPeerGone while nobody listens, and the client reconnects once a server is back.
func TestServerKilled(t *testing.T) {
	for _, transport := range []string{"unix", "tcp"} {
		t.Run(transport, func(t *testing.T) {
			p := startPeer(t)
			addr := p.npUnix
			if transport == "tcp" {
				addr = p.npTCP
			}
			cl := dial(t, addr, netpath.ClientConfig{BackoffMin: time.Millisecond, BackoffMax: 5 * time.Millisecond})
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := echo(ctx, cl, []byte("alive")); err != nil {
				t.Fatal(err)
			}
			const n = 32
			errs := make(chan error, 2*n)
			for i := 0; i < n; i++ {
				go func() { // calls the server holds until it dies
					h := frame.Header{Kind: frame.KindRequest, Method: methodHold}
					errs <- cl.Call(ctx, &h, []byte("held"), nil)
				}()
				go func() { // calls streaming while it dies
					var err error
					for err == nil {
						err = echo(ctx, cl, []byte("streaming"))
					}
					errs <- err
				}()
			}
			time.Sleep(50 * time.Millisecond) // let the calls get in flight
			p.kill()
			for i := 0; i < 2*n; i++ {
				select {
				case err := <-errs:
					if !errors.Is(err, netpath.ErrPeerGone) {
						t.Fatalf("call during SIGKILL: %v, want ErrPeerGone", err)
					}
				case <-ctx.Done():
					t.Fatal("a call hung after the server died")
				}
			}
			if err := echo(ctx, cl, []byte("nobody")); !errors.Is(err, netpath.ErrPeerGone) {
				t.Fatalf("call with no server: %v, want ErrPeerGone", err)
			}
			if transport == "unix" {
				// The killed server left its socket file; a new one takes its place.
				_ = os.Remove(strings.TrimPrefix(addr, "unix://"))
				logger, _ := newLogger(t)
				srv, err := netpath.Listen(addr, echoHandler, netpath.ServerConfig{Logger: logger})
				if err != nil {
					t.Fatal(err)
				}
				defer srv.Close()
				deadline := time.Now().Add(10 * time.Second)
				for {
					err := echo(ctx, cl, []byte("back"))
					if err == nil {
						break
					}
					if !errors.Is(err, netpath.ErrPeerGone) || time.Now().After(deadline) {
						t.Fatalf("reconnect: %v", err)
					}
					time.Sleep(time.Millisecond)
				}
			}
		})
	}
}

// A client that sends its frame one byte at a time does not hold up anyone else, and
// its frame is still served correctly when it finally completes.
func TestSlowLoris(t *testing.T) {
	srv := listen(t, echoHandler, netpath.ServerConfig{})
	loris, err := net.Dial("unix", strings.TrimPrefix(srv.Addr(), "unix://"))
	if err != nil {
		t.Fatal(err)
	}
	defer loris.Close()
	payload := []byte("slowly but surely")
	h := frame.Header{Kind: frame.KindRequest, Method: methodEcho, CallID: 7}
	msg := frame.AppendHeader(nil, &h, len(payload))
	msg = append(msg, payload...)

	cl := dial(t, srv.Addr(), netpath.ClientConfig{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	half := len(msg) / 2
	for i := 0; i < half; i++ {
		if _, err := loris.Write(msg[i : i+1]); err != nil {
			t.Fatal(err)
		}
		// Between every byte the loris sends, a well-behaved client gets answers.
		for j := 0; j < 5; j++ {
			if err := echo(ctx, cl, []byte("quick")); err != nil {
				t.Fatalf("normal client stalled behind a slow one: %v", err)
			}
		}
		time.Sleep(time.Millisecond)
	}
	if _, err := loris.Write(msg[half:]); err != nil {
		t.Fatal(err)
	}
	_ = loris.SetReadDeadline(time.Now().Add(10 * time.Second))
	rh, rp := readFrame(t, loris)
	if rh.Kind != frame.KindReply || rh.CallID != 7 || string(rp) != string(payload) {
		t.Fatalf("loris got %v id %d %q", rh.Kind, rh.CallID, rp)
	}
}

// readFrame reads one whole frame from a plain connection.
func readFrame(t *testing.T, c net.Conn) (frame.Header, []byte) {
	t.Helper()
	var buf []byte
	tmp := make([]byte, 4096)
	for {
		var h frame.Header
		p, _, ok, err := frame.ParseInto(&h, buf, 0)
		if err != nil {
			t.Fatalf("bad frame from server: %v", err)
		}
		if ok {
			return h, p
		}
		n, err := c.Read(tmp)
		if err != nil {
			t.Fatalf("reading a frame: %v (have %d bytes)", err, len(buf))
		}
		buf = append(buf, tmp[:n]...)
	}
}

// After every client and server is closed, no goroutine and no fd is left behind.
func TestNoLeaks(t *testing.T) {
	fds0, g0 := countFDs(t), runtime.NumGoroutine()
	func() {
		dir := t.TempDir()
		for _, addr := range []string{"unix://" + filepath.Join(dir, "a.sock"), "tcp://127.0.0.1:0"} {
			logger, _ := newLogger(t)
			srv, err := netpath.Listen(addr, echoHandler, netpath.ServerConfig{Logger: logger})
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 3; i++ {
				cl, err := netpath.Dial(context.Background(), srv.Addr(), netpath.ClientConfig{Logger: logger})
				if err != nil {
					t.Fatal(err)
				}
				if err := echo(context.Background(), cl, []byte("x")); err != nil {
					t.Fatal(err)
				}
				if err := cl.Close(); err != nil {
					t.Fatal(err)
				}
			}
			// A client still connected when the server closes.
			cl, err := netpath.Dial(context.Background(), srv.Addr(), netpath.ClientConfig{Logger: logger})
			if err != nil {
				t.Fatal(err)
			}
			if err := srv.Close(); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			err = echo(ctx, cl, []byte("x"))
			cancel()
			// ErrGoAway when the server's go-away overtook the call, else ErrPeerGone.
			if !errors.Is(err, netpath.ErrPeerGone) && !errors.Is(err, netpath.ErrGoAway) {
				out, _ := exec.Command("ss", "-xtanp").CombinedOutput()
				t.Fatalf("call to a closed %s server: %v\n%s", addr, err, out)
			}
			_ = cl.Close()
		}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		fds, g := countFDs(t), runtime.NumGoroutine()
		if fds <= fds0 && g <= g0 {
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("leak: fds %d -> %d, goroutines %d -> %d\n%s", fds0, fds, g0, g, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func countFDs(t *testing.T) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("cannot count fds without /proc: %v", err)
	}
	return len(ents)
}
