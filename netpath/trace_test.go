//go:build unix

package netpath_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"runtime"
	"sort"
	"testing"
	"time"

	"github.com/cellsubstrate/cell/frame"
	"github.com/cellsubstrate/cell/netpath"
)

// BenchmarkWaitTrace is BenchmarkRTT's netpath call with a per-call record of how each
// side waited (the server's event loop: spun until the request came, spun out, or did
// not spin and why; the client: spun, skipped its spin, blocked, timed out), printed to
// stderr as a breakdown of the slow calls when NETPATH_BENCH_TRACE is set (so that a
// plain -bench . run prints only the usual lines). For finding where the tail comes
// from: NETPATH_BENCH_TRACE=1 go test -run xxx -bench WaitTrace -benchtime 200000x.
func BenchmarkWaitTrace(b *testing.B) {
	p := startPeer(b)
	for _, tr := range []struct{ name, addr string }{{"unix", p.npUnix}, {"tcp", p.npTCP}} {
		b.Run(tr.name, func(b *testing.B) { benchTrace(b, tr.addr) })
	}
}

type callRec struct {
	ns, blk, gap int64
	sgap, cgap   int64
	tries        int
	cli, srv     uint8
	miss, skip   int
	gc           uint32
}

func benchTrace(b *testing.B, addr string) {
	logger, _ := newLogger(b)
	cl, err := netpath.Dial(context.Background(), addr, netpath.ClientConfig{Logger: logger})
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	payload := make([]byte, rttPayload)
	var srvHow uint8
	var srvGap, srvSpinGap int64
	reply := func(_ *frame.Header, p []byte) error {
		srvHow = p[0]
		srvGap = int64(binary.LittleEndian.Uint64(p[1:]))
		srvSpinGap = int64(binary.LittleEndian.Uint64(p[9:]))
		return nil
	}
	ctx := context.Background()
	recs := make([]callRec, b.N)
	var ms runtime.MemStats
	one := func() {
		h := frame.Header{Kind: frame.KindRequest, Method: methodTrace}
		if err := cl.Call(ctx, &h, payload, reply); err != nil {
			b.Fatal(err)
		}
	}
	for i := 0; i < 1000; i++ {
		one()
	}
	runtime.ReadMemStats(&ms)
	gc0 := ms.NumGC
	hist := newHist()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		one()
		d := int64(time.Since(t0))
		_ = hist.RecordValue(d)
		r := &recs[i]
		r.ns, r.srv, r.gap, r.sgap = d, srvHow, srvGap, srvSpinGap
		r.cli, r.blk, r.miss, r.skip, r.cgap, r.tries = netpath.ClientTrace(cl)
	}
	b.StopTimer()
	runtime.ReadMemStats(&ms)
	report(b, hist)
	if b.N < 1000 || os.Getenv("NETPATH_BENCH_TRACE") == "" {
		return
	}
	// Breakdown: for all calls and for the calls above p97's... fixed 25µs threshold.
	const slow = 25_000
	type key struct{ cli, srv uint8 }
	all, sl := map[key]int{}, map[key]int{}
	var slowN, slowAfterSlow, slowGapBig, slowBlk, slowCgap, slowSgap, fastCgap, fastSgap int
	for i, r := range recs {
		k := key{r.cli, r.srv}
		all[k]++
		if r.ns < slow {
			if r.cgap > 10_000 {
				fastCgap++
			}
			if r.sgap > 10_000 {
				fastSgap++
			}
			continue
		}
		if r.cgap > 10_000 {
			slowCgap++
		}
		if r.sgap > 10_000 {
			slowSgap++
		}
		slowN++
		sl[k]++
		if i > 0 && recs[i-1].ns >= slow {
			slowAfterSlow++
		}
		if r.gap > 10_000 {
			slowGapBig++
		}
		if r.blk > 10_000 {
			slowBlk++
		}
	}
	keys := make([]key, 0, len(all))
	for k := range all {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return sl[keys[i]] > sl[keys[j]] })
	w := os.Stderr
	fmt.Fprintf(w, "\n%s N=%d GCs=%d slow(>=%dus)=%d (%.2f%%) slow-after-slow=%d srvgap>10us=%d cliblocked>10us=%d\n",
		b.Name(), b.N, ms.NumGC-gc0, slow/1000, slowN, 100*float64(slowN)/float64(b.N), slowAfterSlow, slowGapBig, slowBlk)
	fmt.Fprintf(w, "  client spin gap>10us: slow %d fast %d; server spin gap>10us (previous call's spin): slow %d fast %d\n", slowCgap, fastCgap, slowSgap, fastSgap)
	fmt.Fprintf(w, "  cli-bits(spin=1 hit=2 skip=4 block=8 tmo=16 busy=32 multi=64 gosched=128) srv(1 big,2 late,3 spinhit,4 spinout, +8 gosched, +16 grace): all slow slow%%ofcat\n")
	for _, k := range keys {
		fmt.Fprintf(w, "  cli=%3d srv=%d: %7d %6d %6.2f%%\n", k.cli, k.srv, all[k], sl[k], 100*float64(sl[k])/float64(all[k]))
	}
	// A sample of slow calls in context.
	shown := 0
	for i := 2; i < len(recs) && shown < 12; i++ {
		if recs[i].ns < slow {
			continue
		}
		shown++
		for j := i - 2; j <= i+1 && j < len(recs); j++ {
			r := recs[j]
			fmt.Fprintf(w, "  [%d] %6.1fus cli=%d blk=%.1fus miss=%d skip=%d tries=%d cgap=%.1fus srv=%d gap=%.1fus sgap=%.1fus\n",
				j, float64(r.ns)/1e3, r.cli, float64(r.blk)/1e3, r.miss, r.skip, r.tries, float64(r.cgap)/1e3, r.srv, float64(r.gap)/1e3, float64(r.sgap)/1e3)
		}
		fmt.Fprintln(w)
	}
}
