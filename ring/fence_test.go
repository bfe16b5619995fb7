//go:build linux

package ring

import (
	"context"
	"encoding/binary"
	"net"
	"os"
	"testing"
	"time"

	"github.com/cellsubstrate/cell/futex"
	"golang.org/x/sys/unix"
)

// TestFenceChoice pins when a Pipe publishes records with publishHeader and releases
// space with publishPos (each side then fences before it parks): only with a spin
// budget and a working membarrier(2).
func TestFenceChoice(t *testing.T) {
	for _, tc := range []struct {
		spin time.Duration
		want bool
	}{
		{-1, false},
		{time.Microsecond, futex.EnableFence(futex.FenceProcess)},
	} {
		p, err := NewPipe(Config{Spin: tc.spin})
		if err != nil {
			t.Fatal(err)
		}
		wantFence := futex.FenceNone
		if tc.want {
			wantFence = futex.FenceProcess
		}
		if p.cons.light != tc.want || p.prod.space.Fence() != wantFence {
			t.Errorf("spin %v: consumer light %v, producer fence %d; want %v, %d",
				tc.spin, p.cons.light, p.prod.space.Fence(), tc.want, wantFence)
		}
		if p.prod.light != tc.want || p.cons.wait.Fence() != wantFence {
			t.Errorf("spin %v: producer light %v, consumer fence %d; want %v, %d",
				tc.spin, p.prod.light, p.cons.wait.Fence(), tc.want, wantFence)
		}
		p.Close()
	}
}

// TestParkingProducer streams records through a small ring to a consumer that stops
// now and then, so the producer keeps parking on a full ring (the path that fences
// when the consumer releases with publishPos). Every record arrives once, in order.
func TestParkingProducer(t *testing.T) {
	p, err := NewPipe(Config{Size: minRingSize, Spin: time.Microsecond})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	const n = 20000
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		prod := p.Producer()
		for i := uint64(0); i < n; i++ {
			b, err := prod.Reserve(ctx, 8+int(i%200))
			if err != nil {
				done <- err
				return
			}
			binary.LittleEndian.PutUint64(b, i)
			prod.Commit(len(b))
		}
		done <- nil
	}()
	cons := p.Consumer()
	for i := uint64(0); i < n; i++ {
		rec, err := cons.Peek(ctx)
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if len(rec) != 8+int(i%200) || binary.LittleEndian.Uint64(rec) != i {
			t.Fatalf("record %d: got %d bytes starting %d", i, len(rec), binary.LittleEndian.Uint64(rec))
		}
		cons.Release()
		if i%1000 == 999 {
			time.Sleep(200 * time.Microsecond) // let the producer fill the ring and park
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	t.Logf("producer: %+v (light release: %v)", p.Producer().Stats(), p.cons.light)
}

// TestConnFenceNegotiation: a Conn releases with publishPos (and its producer fences)
// only when both flags in the segment say sideFenced; when one does not (here the
// client's is cleared, as an older peer would leave it) both sides use full-barrier
// releases.
func TestConnFenceNegotiation(t *testing.T) {
	fenced := connFences && futex.EnableFence(futex.FenceSystem)
	for _, tc := range []struct {
		name  string
		spin  time.Duration
		clear bool // clear the client's flag before the server reads it
		want  bool
	}{
		{"spinning", 0, false, fenced},
		{"parking", -1, false, false},
		{"peer without the flag", 0, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
			if err != nil {
				t.Fatal(err)
			}
			conns := [2]*net.UnixConn{}
			for i, fd := range fds {
				f := os.NewFile(uintptr(fd), "ctl")
				c, err := net.FileConn(f)
				f.Close()
				if err != nil {
					t.Fatal(err)
				}
				conns[i] = c.(*net.UnixConn)
			}
			if tc.clear {
				testHookSegment = func(mem []byte) { store32(word32(mem[offSide0:], sideFlags), 0) }
				defer func() { testHookSegment = nil }()
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			cfg := Config{Spin: tc.spin}
			ch := make(chan *Conn, 1)
			go func() {
				s, err := Accept(ctx, conns[1], cfg)
				if err != nil {
					t.Error(err)
				}
				ch <- s
			}()
			c, err := Connect(ctx, conns[0], cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			s := <-ch
			if s == nil {
				return
			}
			defer s.Close()
			for i, x := range []*Conn{c, s} {
				wantFence := futex.FenceNone
				if tc.want {
					wantFence = futex.FenceSystem
				}
				if x.cons.light != tc.want || x.prod.space.Fence() != wantFence {
					t.Errorf("side %d: consumer light %v, producer fence %d; want %v, %d",
						i, x.cons.light, x.prod.space.Fence(), tc.want, wantFence)
				}
			}
		})
	}
}
