//go:build linux

package ring_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"github.com/cellsubstrate/cell/internal/affinity"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/cellsubstrate/cell/futex"
	"github.com/cellsubstrate/cell/ring"
	"golang.org/x/sys/unix"
)

const recSize = 64

// BenchmarkStream streams 64-byte records from one goroutine to another; one op is one
// record, written in full by the producer and read (its sequence number checked) by the
// consumer. chan is the baseline: a buffered Go channel of the same records. Placement:
// neither side is pinned; both goroutines run under the Go scheduler (GOMAXPROCS as
// set, 2 on the CI machines), for the baseline and the ring alike. Pinning each side's
// thread to its own CPU was tried and gave no steadier figures on shared 2-vCPU VMs.
func BenchmarkStream(b *testing.B) {
	b.Run("chan", func(b *testing.B) {
		ch := make(chan [recSize]byte, 4096)
		b.ReportAllocs()
		done := make(chan error, 1)
		go func() {
			for i := 0; i < b.N; i++ {
				r := <-ch
				if binary.LittleEndian.Uint64(r[:]) != uint64(i) {
					done <- fmt.Errorf("record %d out of order", i)
					return
				}
			}
			done <- nil
		}()
		var r [recSize]byte
		for i := 0; i < b.N; i++ {
			binary.LittleEndian.PutUint64(r[:], uint64(i))
			ch <- r
		}
		if err := <-done; err != nil {
			b.Fatal(err)
		}
	})
	b.Run("floor", func(b *testing.B) { benchStreamFloor(b, 1) })
	b.Run("floor16", func(b *testing.B) { benchStreamFloor(b, 16) })
	b.Run("floor64K", func(b *testing.B) { benchStreamFloor(b, 64<<10/72) })
	for _, batch := range []int{1, 16} {
		b.Run(fmt.Sprintf("batch%d", batch), func(b *testing.B) { benchStream(b, batch) })
	}
}

// benchStreamFloor is what this machine allows for the stream: the same 72-byte slots
// (an 8-byte stamp and the 64-byte record) back to back in a 256 KiB shared anonymous
// mapping, written and read with bare stores and loads: the producer copies each record
// and stores the stamp (sequence number + 1) of every batch-th slot (floor: every slot;
// floor16: the last of each 16, so one publication carries 16 records, as batch16's
// Flush does) with the ring's release store; the consumer polls the stamp of the last
// slot of the batch it waits for (floor64K: 910 slots, 64 KiB: the machine's bulk
// bandwidth between the two cores, in ns per record), checks each record's first 8 bytes and publishes how
// far it has read every 64 slots. No reservation, no bounds checks, no wake-ups (both
// sides spin). Same placement as the other sub-benchmarks.
func benchStreamFloor(b *testing.B, batch int) {
	const slot, slots = 72, (256 << 10) / 72
	mem, err := unix.Mmap(-1, 0, slot*slots+256, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		b.Fatal(err)
	}
	defer unix.Munmap(mem)
	word := func(off int) *uint64 { return (*uint64)(unsafe.Pointer(&mem[off])) }
	read := word(slot * slots) // consumer's count of slots read, on a line of its own
	last := func(i int) int {  // the slot whose stamp publishes record i
		return min(i/batch*batch+batch, b.N) - 1
	}
	done := make(chan error, 1)
	b.ReportAllocs()
	b.ResetTimer()
	go func() {
		for i := 0; i < b.N; {
			j := last(i)
			for atomic.LoadUint64(word(j%slots*slot)) != uint64(j)+1 {
			}
			for ; i <= j; i++ {
				off := i % slots * slot
				if binary.LittleEndian.Uint64(mem[off+8:]) != uint64(i) {
					done <- fmt.Errorf("record %d out of order", i)
					return
				}
				if i%64 == 63 {
					atomic.StoreUint64(read, uint64(i+1))
				}
			}
		}
		done <- nil
	}()
	var src [recSize]byte
	seen := uint64(0)
	for i := 0; i < b.N; i++ {
		for uint64(i)-seen >= slots-64 {
			seen = atomic.LoadUint64(read)
		}
		off := i % slots * slot
		binary.LittleEndian.PutUint64(src[:], uint64(i))
		copy(mem[off+8:off+slot], src[:])
		if i == last(i) {
			ring.PublishPos(word(off), uint64(i)+1)
		}
	}
	if err := <-done; err != nil {
		b.Fatal(err)
	}
}

func benchStream(b *testing.B, batch int) {
	p, err := ring.NewPipe(ring.Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	ctx := context.Background()
	prod, cons := p.Producer(), p.Consumer()
	done := make(chan error, 1)
	b.ReportAllocs()
	b.ResetTimer()
	go func() {
		recs := make([][]byte, batch)
		for i := 0; i < b.N; {
			n, err := cons.TryPeekBatch(recs)
			if err == ring.ErrEmpty {
				n, err = cons.PeekBatch(ctx, recs)
			}
			if err != nil {
				done <- err
				return
			}
			for _, r := range recs[:n] {
				if binary.LittleEndian.Uint64(r) != uint64(i) {
					done <- fmt.Errorf("record %d out of order", i)
					return
				}
				i++
			}
			cons.Release()
		}
		done <- nil
	}()
	var src [recSize]byte
	for i := 0; i < b.N; i++ {
		s, err := prod.TryReserve(recSize)
		if err == ring.ErrFull {
			s, err = prod.Reserve(ctx, recSize) // publishes staged records first
		}
		if err != nil {
			b.Fatal(err)
		}
		binary.LittleEndian.PutUint64(src[:], uint64(i))
		copy(s, src[:])
		if (i+1)%batch == 0 {
			prod.Commit(recSize)
		} else {
			prod.Stage(recSize)
		}
	}
	prod.Flush()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(prod.Stats().Wakes)/float64(b.N), "wakes/op")
}

// benchCPUs returns the two CPUs the benchmark pins its sides to: $CELL_BENCH_CPUS
// ("0,1"), else the first two CPUs this process may use (one of them twice if only one).
func benchCPUs() (self, peer int) {
	if s := os.Getenv("CELL_BENCH_CPUS"); s != "" {
		parts := strings.Split(s, ",")
		if len(parts) == 2 {
			a, err1 := strconv.Atoi(parts[0])
			c, err2 := strconv.Atoi(parts[1])
			if err1 == nil && err2 == nil {
				return a, c
			}
		}
	}
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		return 0, 0
	}
	cpus := []int{}
	for i := 0; i < 1024 && len(cpus) < 2; i++ {
		if set.IsSet(i) {
			cpus = append(cpus, i)
		}
	}
	switch len(cpus) {
	case 0:
		return 0, 0
	case 1:
		return cpus[0], cpus[0]
	}
	return cpus[0], cpus[1]
}

// Floor words live in the unused part of the segment's header page, so the floors run
// between the same two processes over the same mapping as the ring.
const (
	floorPing = 2048
	floorPong = 2176
	floorStop = ^uint32(0)
)

// BenchmarkCrossProcessRTT measures one 64-byte record each way between this process
// and a peer process (the test binary re-executed), payload written and read, one call
// in flight, closed loop. spin/* spin-wait on both sides; park/* park on the futex at
// once (Spin < 0). The floors are the same pattern on one shared word: a plain spin
// ping-pong and a plain futex ping-pong. Placement: this side on the first CPU of
// $CELL_BENCH_CPUS (default: the first two CPUs we may use), the peer on the second.
func BenchmarkCrossProcessRTT(b *testing.B) {
	for _, mode := range []string{"spin/floor", "spin/ring", "park/floor", "park/ring"} {
		b.Run(mode, func(b *testing.B) { benchRTT(b, mode) })
	}
}

func benchRTT(b *testing.B, mode string) {
	cfg := peerConfig
	cfg.Spin = -1
	spin := "-1ns"
	if strings.HasPrefix(mode, "spin") {
		cfg.Spin, spin = time.Hour, "1h"
	}
	self, peerCPU := benchCPUs()
	p := startPeer(b, "bench", cfg, "CELL_RING_BENCH_MODE="+mode, "CELL_RING_PEER_SPIN="+spin,
		"CELL_RING_BENCH_CPU="+strconv.Itoa(peerCPU))
	defer p.stop()
	if line, err := p.stdout.ReadString('\n'); line != "ready\n" {
		b.Fatalf("peer not ready: %q %v", line, err)
	}
	if unpin, err := affinity.Thread(self); err != nil {
		b.Logf("pinning to CPU %d: %v", self, err)
	} else {
		defer unpin()
	}
	b.Logf("placement: this side on CPU %d, peer on CPU %d", self, peerCPU)
	h := hdrhistogram.New(1, int64(10*time.Second), 3)
	ping, pong := ring.Word32(p.conn, floorPing), ring.Word32(p.conn, floorPong)
	out, in := p.conn.Producer(), p.conn.Consumer()
	ctx := context.Background()
	var src [recSize]byte
	b.ReportAllocs()
	b.ResetTimer()
	for i := 1; i <= b.N; i++ {
		t0 := time.Now()
		switch mode {
		case "spin/floor":
			atomic.StoreUint32(ping, uint32(i))
			for atomic.LoadUint32(pong) != uint32(i) {
			}
		case "park/floor":
			atomic.StoreUint32(ping, uint32(i))
			futex.Wake(ping, 1)
			for v := atomic.LoadUint32(pong); v != uint32(i); v = atomic.LoadUint32(pong) {
				futex.Wait(pong, v, time.Second)
			}
		default:
			s, err := out.Reserve(ctx, recSize)
			if err != nil {
				b.Fatal(err)
			}
			binary.LittleEndian.PutUint64(src[:], uint64(i))
			copy(s, src[:])
			out.Commit(recSize)
			r, err := in.Peek(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if len(r) != recSize || binary.LittleEndian.Uint64(r) != uint64(i) {
				b.Fatalf("reply %d: wrong record", i)
			}
			in.Release()
		}
		h.RecordValue(int64(time.Since(t0)))
	}
	b.StopTimer()
	if strings.HasSuffix(mode, "floor") {
		atomic.StoreUint32(ping, floorStop)
		futex.Wake(ping, 1)
	}
	b.ReportMetric(float64(h.ValueAtQuantile(50)), "p50-ns")
	b.ReportMetric(float64(h.ValueAtQuantile(99)), "p99-ns")
	b.ReportMetric(float64(h.ValueAtQuantile(99.9)), "p999-ns")
	b.ReportMetric(float64(out.Stats().Wakes)/float64(b.N), "wakes/op")
}

// benchPeer is the peer side of BenchmarkCrossProcessRTT and BenchmarkIdle.
func benchPeer(ctx context.Context, c *ring.Conn) int {
	if cpu, err := strconv.Atoi(os.Getenv("CELL_RING_BENCH_CPU")); err == nil && cpu >= 0 {
		if _, err := affinity.Thread(cpu); err != nil {
			fmt.Fprintln(os.Stderr, "peer: pin:", err)
		}
	}
	mode := os.Getenv("CELL_RING_BENCH_MODE")
	ping, pong := ring.Word32(c, floorPing), ring.Word32(c, floorPong)
	in, out := c.Consumer(), c.Producer()
	fmt.Println("ready")
	switch mode {
	case "spin/floor":
		last := uint32(0)
		for n := 0; ; n++ {
			v := atomic.LoadUint32(ping)
			if v == floorStop {
				return 0
			}
			if v != last {
				last = v
				atomic.StoreUint32(pong, v)
			}
			if n&0xfffff == 0 && c.Err() != nil {
				return 0
			}
		}
	case "park/floor":
		last := uint32(0)
		for {
			v := atomic.LoadUint32(ping)
			if v == floorStop || c.Err() != nil {
				return 0
			}
			if v == last {
				futex.Wait(ping, v, 100*time.Millisecond)
				continue
			}
			last = v
			atomic.StoreUint32(pong, v)
			futex.Wake(pong, 1)
		}
	case "idle":
		var r0, r1 unix.Rusage
		unix.Getrusage(unix.RUSAGE_SELF, &r0)
		ictx, cancel := context.WithTimeout(ctx, time.Second)
		_, err := in.Peek(ictx)
		cancel()
		unix.Getrusage(unix.RUSAGE_SELF, &r1)
		cpu := time.Duration(r1.Utime.Nano() + r1.Stime.Nano() - r0.Utime.Nano() - r0.Stime.Nano())
		st := in.Stats()
		fmt.Printf("%d %d %d %v\n", cpu.Nanoseconds(), st.Parks, out.Stats().Wakes, err)
		<-c.Done()
		return 0
	}
	for { // ring echo
		r, err := in.Peek(ctx)
		if err != nil {
			return 0
		}
		s, err := out.Reserve(ctx, len(r))
		if err != nil {
			return 0
		}
		copy(s, r)
		out.Commit(len(r))
		in.Release()
	}
}

// BenchmarkIdle measures what an idle connection costs: the CPU time a peer process uses
// over one second while its consumer is parked in Peek (spin budget: default), including
// its heartbeat monitor. One op is that second. It reports cpu-% of one core, the
// consumer's parks, and the wake syscalls made (none: nothing is sent).
func BenchmarkIdle(b *testing.B) {
	// Default heartbeat timing on both sides: what an idle connection really costs.
	p := startPeer(b, "bench", ring.Config{Size: peerConfig.Size}, "CELL_RING_BENCH_MODE=idle",
		"CELL_RING_BENCH_CPU=-1", "CELL_RING_PEER_DEFAULTS=1")
	defer p.stop()
	if line, err := p.stdout.ReadString('\n'); line != "ready\n" {
		b.Fatalf("peer not ready: %q %v", line, err)
	}
	b.ResetTimer()
	line, err := p.stdout.ReadString('\n')
	b.StopTimer()
	var cpuNs, parks, wakes int64
	var perr string
	if _, serr := fmt.Sscanf(line, "%d %d %d %s", &cpuNs, &parks, &wakes, &perr); serr != nil || err != nil {
		b.Fatalf("peer report %q: %v %v", line, serr, err)
	}
	b.ReportMetric(float64(cpuNs)/1e9*100, "cpu-%")
	b.ReportMetric(float64(parks), "parks")
	b.ReportMetric(float64(uint64(wakes)+p.conn.Producer().Stats().Wakes), "wakes")
}

// BenchmarkOneGoroutine writes and then reads 64-byte records in one goroutine, in
// batches: the ring's own instruction cost per record, without cross-core traffic or
// scheduling (compare BenchmarkStream). One op is one record written and read.
func BenchmarkOneGoroutine(b *testing.B) {
	for _, batch := range []int{1, 16} {
		b.Run(fmt.Sprintf("batch%d", batch), func(b *testing.B) {
			p, err := ring.NewPipe(ring.Config{})
			if err != nil {
				b.Fatal(err)
			}
			defer p.Close()
			prod, cons := p.Producer(), p.Consumer()
			var src [recSize]byte
			b.ReportAllocs()
			for i := 0; i < b.N; {
				for j := 0; j < batch; j++ {
					s, err := prod.TryReserve(recSize)
					if err != nil {
						b.Fatal(err)
					}
					binary.LittleEndian.PutUint64(src[:], uint64(i+j))
					copy(s, src[:])
					prod.Stage(recSize)
				}
				prod.Flush()
				for j := 0; j < batch; j++ {
					r, err := cons.TryPeek()
					if err != nil || binary.LittleEndian.Uint64(r) != uint64(i) {
						b.Fatalf("record %d: %v", i, err)
					}
					i++
				}
				cons.Release()
			}
		})
	}
}
