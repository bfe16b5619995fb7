//go:build unix

package netpath_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/cellsubstrate/cell/netpath"
)

// A server whose event loop spins between a connection's requests (SpinWait, here far
// longer than any call should take) still answers its other connections at once: the
// spin stops as soon as any connection has bytes. Were it to sit out its SpinWait on
// one connection, the 200 calls of the other would need 200 x 2s, far past the
// deadline. Shutdown ends a spin too.
func TestServerSpinServesOthers(t *testing.T) {
	srv := listen(t, echoHandler, netpath.ServerConfig{SpinWait: 2 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pinger := dial(t, srv.Addr(), netpath.ClientConfig{})
	other := dial(t, srv.Addr(), netpath.ClientConfig{SpinWait: netpath.NoSpin})
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // back-to-back calls: the loop spins after each
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if err := echo(ctx, pinger, []byte(fmt.Sprint("ping", i))); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for i := 0; i < 200; i++ {
		if err := echo(ctx, other, []byte(fmt.Sprint("other", i))); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		if i%50 == 0 {
			time.Sleep(time.Millisecond) // let the pinger's spin start afresh
		}
	}
	close(stop)
	wg.Wait()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
}
