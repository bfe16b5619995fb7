package testschema_test

import (
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/cellsubstrate/cell/examples/orders"
	"github.com/cellsubstrate/cell/frame/fb"
	ts "github.com/cellsubstrate/cell/internal/testschema"
	flatbuffers "github.com/google/flatbuffers/go"
)

// timed runs op b.N times, recording the mean time per op of each batch of ops in an
// HDR histogram: batches of about 2 µs, since one clock read per op would cost more
// than a short op. It reports p50, p99, p99.9 and max in ns per op, and returns p50.
func timed(b *testing.B, op func()) (p50 float64) {
	h := hdrhistogram.New(1, int64(time.Second), 3)
	t0 := time.Now()
	op() // warm up: first-use allocations are not the steady state
	op()
	batch := int(2*time.Microsecond/max(1, time.Since(t0)/2)) + 1
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; {
		n := min(batch, b.N-i)
		t0 := time.Now()
		for j := 0; j < n; j++ {
			op()
		}
		_ = h.RecordValue(max(1, int64(time.Since(t0))/int64(n)))
		i += n
	}
	b.StopTimer()
	b.ReportMetric(float64(h.ValueAtQuantile(50)), "p50-ns")
	b.ReportMetric(float64(h.ValueAtQuantile(99)), "p99-ns")
	b.ReportMetric(float64(h.ValueAtQuantile(99.9)), "p99.9-ns")
	b.ReportMetric(float64(h.Max()), "max-ns")
	return float64(h.ValueAtQuantile(50))
}

// SampleOrder builds a typical order into b and returns its root.
func sampleOrder(b *flatbuffers.Builder) flatbuffers.UOffsetT {
	sym := b.CreateString("ACME")
	client := b.CreateString("alice@desk-7")
	t1, t2, t3 := b.CreateString("gtc"), b.CreateString("iceberg"), b.CreateString("algo:twap")
	orders.OrderStartTagsVector(b, 3)
	b.PrependUOffsetT(t3)
	b.PrependUOffsetT(t2)
	b.PrependUOffsetT(t1)
	tags := b.EndVector(3)
	orders.OrderStart(b)
	orders.OrderAddId(b, 123456789)
	orders.OrderAddSymbol(b, sym)
	orders.OrderAddSide(b, orders.SideSell)
	orders.OrderAddQuantity(b, 300)
	orders.OrderAddPrice(b, 1012550)
	orders.OrderAddClientName(b, client)
	orders.OrderAddTags(b, tags)
	return orders.OrderEnd(b)
}

type verifyCase struct {
	name   string
	buf    []byte
	verify func([]byte) error
	read   func([]byte) uint64
}

func verifyCases() []verifyCase {
	ob := flatbuffers.NewBuilder(0)
	ob.Finish(sampleOrder(ob))
	box := func(size int) []byte {
		return append([]byte(nil), ts.BuildBox(flatbuffers.NewBuilder(0), size)...)
	}
	readBox := func(buf []byte) uint64 {
		var x ts.Box
		x.Init(buf, fb.RootPos(buf))
		return ts.TouchBox(&x)
	}
	return []verifyCase{
		{"order", ob.FinishedBytes(), orders.VerifyOrder, func(buf []byte) uint64 {
			var o orders.Order
			o.Init(buf, fb.RootPos(buf))
			return orders.TouchOrder(&o)
		}},
		{"64B", box(64), ts.VerifyBox, readBox},
		{"1KB", box(1 << 10), ts.VerifyBox, readBox},
		{"64KB", box(64 << 10), ts.VerifyBox, readBox},
	}
}

// BenchmarkVerify measures the generated verifier on an order and on Box messages of
// about 64 B, 1 KB and 64 KB (a vector of small tables with strings, so the verifier's
// work grows with the size). ns/B is the mean cost per byte of message; p50-ns/B the
// median one, which shared, noisy machines disturb less.
func BenchmarkVerify(b *testing.B) {
	for _, c := range verifyCases() {
		b.Run(c.name, func(b *testing.B) {
			if err := c.verify(c.buf); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(c.buf)))
			p50 := timed(b, func() {
				if err := c.verify(c.buf); err != nil {
					b.Fatal(err)
				}
			})
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(c.buf)), "ns/B")
			b.ReportMetric(p50/float64(len(c.buf)), "p50-ns/B")
		})
	}
}

var sink uint64

// BenchmarkReadAll is the baseline for BenchmarkVerify: reading every field of the
// same messages through flatc's accessors, without verifying.
func BenchmarkReadAll(b *testing.B) {
	for _, c := range verifyCases() {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.buf)))
			p50 := timed(b, func() { sink += c.read(c.buf) })
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(c.buf)), "ns/B")
			b.ReportMetric(p50/float64(len(c.buf)), "p50-ns/B")
		})
	}
}

// BenchmarkBuildOrder builds a typical order straight into a reused 512-byte slot
// (as a ring record would be), against building it in a reused Builder and copying
// the finished bytes into the slot; in-slot-gen builds the same order in the slot
// with the generated OrderBuild instead of flatc's one-field-at-a-time API.
func BenchmarkBuildOrder(b *testing.B) {
	slot := make([]byte, 512)
	b.Run("in-slot", func(b *testing.B) {
		sb := fb.NewSlotBuilder()
		var n int
		timed(b, func() {
			fbb := sb.Start(slot)
			msg, err := sb.FinishPayload(sampleOrder(fbb))
			if err != nil {
				b.Fatal(err)
			}
			n = len(msg)
		})
		b.SetBytes(int64(n))
	})
	b.Run("in-slot-gen", func(b *testing.B) {
		sb := fb.NewSlotBuilder()
		f := &orders.OrderFields{Id: 123456789, Symbol: "ACME", Side: orders.SideSell, Quantity: 300, Price: 1012550,
			ClientName: "alice@desk-7", Tags: []string{"gtc", "iceberg", "algo:twap"}}
		var n int
		timed(b, func() {
			msg, err := sb.FinishPayload(orders.OrderBuild(sb.Start(slot), f))
			if err != nil {
				b.Fatal(err)
			}
			n = len(msg)
		})
		b.SetBytes(int64(n))
	})
	b.Run("build-then-copy", func(b *testing.B) {
		fbb := flatbuffers.NewBuilder(512)
		var n int
		timed(b, func() {
			fbb.Reset()
			fbb.Finish(sampleOrder(fbb))
			n = copy(slot, fbb.FinishedBytes())
		})
		b.SetBytes(int64(n))
	})
}
