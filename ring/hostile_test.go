//go:build linux

package ring_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cellsubstrate/cell/ring"
	"golang.org/x/sys/unix"
)

// TestHostilePeer has a peer process write hostile values into every shared field,
// then checks this side: fields it never trusts after the handshake change nothing;
// fields it reads yield ErrCorrupt; nothing panics or hangs. Record headers are written
// after the records they precede (the first one last), as a producer publishes them.
func TestHostilePeer(t *testing.T) {
	const (
		r0   = ring.OffRing0
		r1   = ring.OffRing1
		data = ring.HeaderSize + 16384 // ring 1's data area (peerConfig sizes)
	)
	rec := func(length uint32, kind uint32) uint64 { return uint64(length) | uint64(kind)<<32 }
	w := func(off, width int, v uint64) string { return fmt.Sprintf("%d:%d:%d", off, width, v) }
	cases := []struct {
		name   string
		pokes  []string
		expect string // ok, peek (ErrCorrupt on Peek), fill (ErrCorrupt while filling)
	}{
		{"magic", []string{w(0, 8, 0xdead)}, "ok"},
		{"version", []string{w(8, 4, 99)}, "ok"},
		{"header size", []string{w(12, 4, 1)}, "ok"},
		{"size0", []string{w(16, 8, 1<<40)}, "ok"},
		{"size1", []string{w(24, 8, 3)}, "ok"},
		{"total", []string{w(32, 8, 7)}, "ok"},
		{"side0 pid", []string{w(ring.OffSide0, 8, 1<<63)}, "ok"},
		{"side1 pid", []string{w(ring.OffSide1, 8, 1<<63)}, "ok"},
		{"side1 start", []string{w(ring.OffSide1+8, 8, 1<<63)}, "ok"},
		{"side1 heartbeat", []string{w(ring.OffSide1+16, 8, 1<<63)}, "ok"},
		{"side1 state", []string{w(ring.OffSide1+24, 4, 77)}, "ok"},
		{"side flags", []string{w(ring.OffSide0+28, 4, 1<<32-1), w(ring.OffSide1+28, 4, 0)}, "ok"},
		{"ring0 tail", []string{w(r0+ring.CtlTail, 8, 1<<40)}, "ok"},
		{"ring0 data seq", []string{w(r0+ring.CtlDataSeq, 4, 1<<31)}, "ok"},
		{"ring0 space seq", []string{w(r0+ring.CtlSpaceSeq, 4, 1<<31)}, "ok"},
		{"ring0 consumer sleeping", []string{w(r0+ring.CtlCons, 4, 1)}, "ok"},
		{"ring0 producer sleeping", []string{w(r0+ring.CtlProd, 4, 9)}, "ok"},
		{"ring0 head ahead", []string{w(r0+ring.CtlHead, 8, 1<<40)}, "fill"},
		{"ring0 head unaligned", []string{w(r0+ring.CtlHead, 8, 4)}, "fill"},
		{"ring0 head behind", []string{w(r0+ring.CtlHead, 8, ^uint64(0)-7)}, "fill"},
		{"ring1 head", []string{w(r1+ring.CtlHead, 8, 1<<40)}, "ok"},
		{"ring1 tail", []string{w(r1+ring.CtlTail, 8, 1<<40)}, "ok"},
		{"ring1 sleeping flags", []string{w(r1+ring.CtlCons, 4, 5), w(r1+ring.CtlProd, 4, 5)}, "ok"},
		{"ring1 header beside the next slot", []string{w(data+8, 8, rec(16, ring.KindData))}, "ok"},
		{"record kind", []string{w(data, 8, rec(16, 0x99))}, "peek"},
		{"record kind zero", []string{w(data, 8, rec(16, 0))}, "peek"},
		{"record length huge", []string{w(data, 8, rec(0xfffffff0, ring.KindData))}, "peek"},
		{"record past end", []string{w(data+8192, 8, rec(0, ring.KindData)),
			w(data+8200, 8, rec(8184, ring.KindData)), w(data, 8, rec(8184, ring.KindData))}, "peek"},
		{"record into the last slot", []string{w(data+8192, 8, rec(8184, ring.KindData)),
			w(data, 8, rec(8184, ring.KindData))}, "peek"},
		{"pad at start", []string{w(data, 8, rec(0, ring.KindPad))}, "peek"},
		{"pad with length", []string{w(data+8, 8, rec(3, ring.KindPad)), w(data, 8, rec(0, ring.KindData))}, "peek"},
		{"pad into the last slot", []string{w(data+8, 8, rec(0, ring.KindPad)), w(data, 8, rec(0, ring.KindData))}, "peek"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := startPeer(t, "hostile", peerConfig, "CELL_RING_HOSTILE="+strings.Join(tc.pokes, ","))
			if err := p.conn.Producer().TryWrite([]byte("go")); err != nil {
				t.Fatal(err)
			}
			if line, err := p.stdout.ReadString('\n'); line != "ready\n" {
				t.Fatalf("peer did not get ready: %q %v", line, err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			in, out := p.conn.Consumer(), p.conn.Producer()
			switch tc.expect {
			case "ok":
				if err := out.TryWrite([]byte("still fine")); err != nil {
					t.Fatalf("TryWrite: %v", err)
				}
				if _, err := in.TryPeek(); err != ring.ErrEmpty {
					t.Fatalf("TryPeek: %v, want ErrEmpty", err)
				}
				if err := p.conn.Err(); err != nil {
					t.Fatalf("connection down: %v", err)
				}
			case "peek":
				// Valid records the peer wrote before the bad one are delivered first.
				var err error
				for i := 0; i < 4 && err == nil; i++ {
					_, err = in.Peek(ctx)
				}
				if !errors.Is(err, ring.ErrCorrupt) {
					t.Fatalf("Peek = %v; want ErrCorrupt", err)
				}
				if err := out.TryWrite([]byte("x")); !errors.Is(err, ring.ErrCorrupt) {
					t.Fatalf("TryWrite after corruption = %v", err)
				}
			case "fill":
				var err error
				for i := 0; i < 16384/8+1 && err == nil; i++ {
					err = out.TryWrite(nil)
				}
				if !errors.Is(err, ring.ErrCorrupt) {
					t.Fatalf("filling = %v, want ErrCorrupt", err)
				}
			}
		})
	}
}

// TestAcceptRejects checks that Accept refuses a bad segment or handshake with an error
// (never a panic or a mapping of a bad file).
func TestAcceptRejects(t *testing.T) {
	put64 := func(off int, v uint64) func([]byte) {
		return func(m []byte) { binary.LittleEndian.PutUint64(m[off:], v) }
	}
	put32 := func(off int, v uint32) func([]byte) {
		return func(m []byte) { binary.LittleEndian.PutUint32(m[off:], v) }
	}
	for _, tc := range []struct {
		name string
		hook func([]byte)
	}{
		{"magic", put64(0, 1)},
		{"version", put32(8, ring.LayoutVersion+1)},
		{"header size", put32(12, 8192)},
		{"size0 not power of two", put64(16, 12288)},
		{"size1 too big", put64(24, 1<<31)},
		{"total", put64(32, 1)},
		{"ring0 positions", put64(ring.OffRing0+ring.CtlTail, 1<<20)},
		{"ring0 positions unaligned", func(m []byte) {
			binary.LittleEndian.PutUint64(m[ring.OffRing0+ring.CtlTail:], 12)
			binary.LittleEndian.PutUint64(m[ring.OffRing0+ring.CtlHead:], 12)
		}},
		{"ring1 positions unaligned", put64(ring.OffRing1+ring.CtlHead, 3)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ring.SetSegmentHook(tc.hook)
			defer ring.SetSegmentHook(nil)
			a, b := seqpacketPair(t)
			defer a.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			errc := make(chan error, 1)
			go func() {
				_, err := ring.Connect(ctx, a, ring.Config{Size: 4096})
				errc <- err
			}()
			_, err := ring.Accept(ctx, b, ring.Config{})
			if !errors.Is(err, ring.ErrCorrupt) {
				t.Fatalf("Accept = %v, want ErrCorrupt", err)
			}
			b.Close()
			if err := <-errc; err == nil {
				t.Fatal("Connect succeeded against a refusing peer")
			}
		})
	}
	for _, tc := range []struct {
		name   string
		seals  int
		size   int64
		nfds   int
		hello  int
		expect string
	}{
		{"unsealed", 0, 4096 * 3, 1, 24, "seals"},
		{"growable", unix.F_SEAL_SHRINK | unix.F_SEAL_SEAL, 4096 * 3, 1, 24, "seals"},
		{"too small", unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_SEAL, 4096, 1, 24, "size"},
		{"no fd", 0, 0, 0, 24, "descriptor"},
		{"two fds", 0, 0, 2, 24, "descriptor"},
		{"short hello", unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_SEAL, 4096 * 3, 1, 3, "hello"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := seqpacketPair(t)
			defer a.Close()
			defer b.Close()
			var fds []int
			for i := 0; i < tc.nfds; i++ {
				fd, err := unix.MemfdCreate("hostile", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
				if err != nil {
					t.Fatal(err)
				}
				defer unix.Close(fd)
				if err := unix.Ftruncate(fd, tc.size); err != nil {
					t.Fatal(err)
				}
				if tc.seals != 0 {
					if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, tc.seals); err != nil {
						t.Fatal(err)
					}
				}
				fds = append(fds, fd)
			}
			hello := make([]byte, tc.hello)
			if tc.hello >= 16 {
				binary.LittleEndian.PutUint64(hello, 0x6f6c65686c6c6563)
				binary.LittleEndian.PutUint32(hello[8:], ring.LayoutVersion)
			}
			var oob []byte
			if len(fds) > 0 {
				oob = unix.UnixRights(fds...)
			}
			if _, _, err := a.WriteMsgUnix(hello, oob, nil); err != nil {
				t.Fatal(err)
			}
			fd0 := countFds(t)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, err := ring.Accept(ctx, b, ring.Config{})
			if err == nil || !strings.Contains(err.Error(), tc.expect) {
				t.Fatalf("Accept = %v, want an error about %s", err, tc.expect)
			}
			if n := countFds(t); n != fd0 {
				t.Fatalf("Accept leaked %d fds", n-fd0)
			}
		})
	}
}
