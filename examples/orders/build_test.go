package orders_test

import (
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/cellsubstrate/cell/examples/orders"
	"github.com/cellsubstrate/cell/frame/fb"
	"github.com/cellsubstrate/cell/internal/ordertest"
	flatbuffers "github.com/google/flatbuffers/go"
)

func randString(r *rand.Rand) string {
	const chars = "abcXYZ 09-ü\x00"
	s := []rune(chars)
	n := r.IntN(4)
	if n == 3 {
		n = r.IntN(300) // sometimes long: the region outgrows Reserve's Place path
	}
	out := make([]rune, n)
	for i := range out {
		out[i] = s[r.IntN(len(s))]
	}
	return string(out)
}

// randOrder returns an order whose every field is, at random, absent (zero) or set.
func randOrder(r *rand.Rand) *orders.OrderFields {
	o := &orders.OrderFields{}
	if r.IntN(2) == 0 {
		o.Id = r.Uint64()
	}
	if r.IntN(2) == 0 {
		o.Symbol = randString(r)
	}
	if r.IntN(2) == 0 {
		o.Side = orders.Side(r.IntN(3))
	}
	if r.IntN(2) == 0 {
		o.Quantity = r.Uint32()
	}
	if r.IntN(2) == 0 {
		o.Price = r.Int64() - 1<<62
	}
	if r.IntN(2) == 0 {
		o.ClientName = randString(r)
	}
	if r.IntN(2) == 0 {
		o.Tags = make([]string, r.IntN(5))
		for i := range o.Tags {
			o.Tags[i] = randString(r)
		}
	}
	return o
}

// checkSame fails unless fast and ref (finished buffers) both verify and hold the
// same fields, present in the same slots, with the same values.
func checkSame(t *testing.T, fast, ref []byte, o *orders.OrderFields) {
	t.Helper()
	var a, b orders.Order
	if err := orders.ReadOrder(fast, &a); err != nil {
		t.Fatalf("%+v: OrderBuild's buffer fails verification: %v", o, err)
	}
	if err := orders.ReadOrder(ref, &b); err != nil {
		t.Fatalf("%+v: reference buffer fails verification: %v", o, err)
	}
	if pa, pb := ordertest.Present(fast), ordertest.Present(ref); !reflect.DeepEqual(pa, pb) {
		t.Fatalf("%+v: present fields %v, flatc's %v", o, pa, pb)
	}
	if ua, ub := a.UnPack(), b.UnPack(); !reflect.DeepEqual(ua, ub) {
		t.Fatalf("read back %+v, flatc's %+v", ua, ub)
	}
	if string(a.Symbol()) != o.Symbol || a.Id() != o.Id || a.Side() != o.Side || a.Quantity() != o.Quantity ||
		a.Price() != o.Price || string(a.ClientName()) != o.ClientName || a.TagsLength() != len(o.Tags) {
		t.Fatalf("read back %+v, built %+v", a.UnPack(), o)
	}
	for i, s := range o.Tags {
		if string(a.Tags(i)) != s {
			t.Fatalf("tag %d = %q, built %q", i, a.Tags(i), s)
		}
	}
	if orders.TouchOrder(&a) != orders.TouchOrder(&b) {
		t.Fatalf("%+v: checksums differ", o)
	}
}

// OrderBuild writes the same Order as flatc's API, for random field values and
// absent fields, in a Builder that starts empty (so it grows mid-message), in a
// reused one, and in a ring-like slot; a second table built after it in the same
// Builder is intact too.
func TestOrderBuildMatchesFlatc(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	reused := flatbuffers.NewBuilder(64)
	sb := fb.NewSlotBuilder()
	slot := make([]byte, 256)
	cases := []*orders.OrderFields{
		{}, // every field absent
		{Id: 1, Symbol: "ACME", Side: orders.SideSell, Quantity: 100, Price: 12345, ClientName: "bench", Tags: []string{"day", "limit"}},
		{Tags: []string{}}, // an empty vector is present
		{Tags: []string{"", ""}},
	}
	for i := 0; i < 3000; i++ {
		cases = append(cases, randOrder(r))
	}
	for _, o := range cases {
		ref := flatbuffers.NewBuilder(0)
		ref.Finish(ordertest.BuildFlatc(ref, o))

		grow := flatbuffers.NewBuilder(0)
		grow.Finish(orders.OrderBuild(grow, o))
		checkSame(t, grow.FinishedBytes(), ref.FinishedBytes(), o)

		reused.Reset()
		reused.Finish(orders.OrderBuild(reused, o))
		checkSame(t, reused.FinishedBytes(), ref.FinishedBytes(), o)

		msg, err := sb.Finish(orders.OrderBuild(sb.Start(slot), o))
		if err != nil && err != fb.ErrSlotOverflow {
			t.Fatal(err)
		}
		checkSame(t, msg, ref.FinishedBytes(), o)
	}
}

// Tables built with OrderBuild and with flatc's API mix in one buffer: a vector of
// OrderIds built both ways, then an Order, all readable.
func TestOrderBuildMixesWithFlatc(t *testing.T) {
	b := flatbuffers.NewBuilder(0)
	id1 := orders.OrderIdBuild(b, &orders.OrderIdFields{Id: 7})
	orders.OrderIdStart(b)
	orders.OrderIdAddId(b, 8)
	id2 := orders.OrderIdEnd(b)
	id3 := orders.OrderIdBuild(b, &orders.OrderIdFields{}) // id 0: absent
	root := orders.OrderBuild(b, &orders.OrderFields{Id: 9, Symbol: "X", Tags: []string{"a"}})
	b.Finish(root)
	buf := b.FinishedBytes()
	var o orders.Order
	if err := orders.ReadOrder(buf, &o); err != nil || o.Id() != 9 || string(o.Symbol()) != "X" || string(o.Tags(0)) != "a" {
		t.Fatalf("order %+v, %v", o.UnPack(), err)
	}
	for want, off := range map[uint64]flatbuffers.UOffsetT{7: id1, 8: id2, 0: id3} {
		pos := flatbuffers.UOffsetT(len(buf)) - off
		var x orders.OrderId
		x.Init(buf, pos)
		if x.Id() != want {
			t.Errorf("OrderId at %d = %d, want %d", pos, x.Id(), want)
		}
	}
}

func TestOrderBuildAllocs(t *testing.T) {
	sb := fb.NewSlotBuilder()
	slot := make([]byte, 512)
	f := &orders.OrderFields{Id: 1, Symbol: "ACME", Side: orders.SideSell, Quantity: 100, Price: 12345, ClientName: "bench", Tags: []string{"day", "limit"}}
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := sb.Finish(orders.OrderBuild(sb.Start(slot), f)); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("OrderBuild in a slot: %v allocs, want 0", allocs)
	}
}
