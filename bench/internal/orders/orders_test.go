package orders_test

import (
	"errors"
	"testing"

	"github.com/cellsubstrate/cell/bench/internal/orders"
	fbs "github.com/cellsubstrate/cell/examples/orders"
	flatbuffers "github.com/google/flatbuffers/go"
	"google.golang.org/protobuf/proto"
)

func TestSampleSizes(t *testing.T) {
	for _, size := range []int{64, 256, 4096} {
		f := orders.Sample(size)
		n := proto.Size(f.Proto())
		if n > size || n < size-4 {
			t.Errorf("Sample(%d) encodes to %d protobuf bytes, want %d..%d", size, n, size-4, size)
		}
		if len(f.Tags) == 0 || f.Symbol == "" || f.ClientName == "" || f.Quantity == 0 || f.Price == 0 || f.ID == 0 || !f.Sell {
			t.Errorf("Sample(%d) leaves a field at its default: %+v", size, f)
		}
	}
}

// Both encodings carry the same order: the handler's digest of either equals
// Expect, and changing any field changes it (so a handler that skipped a field
// would be caught by the client's check).
func TestDigestsAgreeAndSeeEveryField(t *testing.T) {
	base := orders.Sample(64)
	b := flatbuffers.NewBuilder(0)
	check := func(name string, f orders.Fields) uint64 {
		t.Helper()
		want := f.Expect()
		if got := orders.DigestProto(f.Proto()); got != want {
			t.Errorf("%s: protobuf digest %#x, want %#x", name, got, want)
		}
		pbuf, err := proto.Marshal(f.Proto())
		if err != nil {
			t.Fatal(err)
		}
		var back = f.Proto()
		if err := proto.Unmarshal(pbuf, back); err != nil || orders.DigestProto(back) != want {
			t.Errorf("%s: protobuf round trip digest differs (%v)", name, err)
		}
		fb := f.BuildFlat(b)
		if got := orders.DigestFlat(fbs.GetRootAsOrder(fb, 0)); got != want {
			t.Errorf("%s: flatbuffers digest %#x, want %#x", name, got, want)
		}
		b.Reset()
		b.Finish(f.BuildOrderOneStep(b))
		if got := orders.DigestFlat(fbs.GetRootAsOrder(b.FinishedBytes(), 0)); got != want {
			t.Errorf("%s: one-step flatbuffers digest %#x, want %#x", name, got, want)
		}
		if got := orders.DigestObject(f.Object()); got != want {
			t.Errorf("%s: object digest %#x, want %#x", name, got, want)
		}
		if got := orders.HandleProto(f.Proto()).GetId(); got != want {
			t.Errorf("%s: HandleProto id %#x, want %#x", name, got, want)
		}
		return want
	}
	h0 := check("base", base)
	mutations := map[string]func(*orders.Fields){
		"id":       func(f *orders.Fields) { f.ID++ },
		"symbol":   func(f *orders.Fields) { f.Symbol = "ACMF" },
		"side":     func(f *orders.Fields) { f.Sell = false },
		"quantity": func(f *orders.Fields) { f.Quantity++ },
		"price":    func(f *orders.Fields) { f.Price-- },
		"client":   func(f *orders.Fields) { f.ClientName = "desk-08" },
		"tags":     func(f *orders.Fields) { f.Tags = append([]string{"x"}, f.Tags[1:]...) },
		"moretags": func(f *orders.Fields) { f.Tags = append(append([]string(nil), f.Tags...), "") },
	}
	for name, m := range mutations {
		f := base
		f.Tags = append([]string(nil), base.Tags...)
		m(&f)
		if check(name, f) == h0 {
			t.Errorf("changing %s does not change the reply id", name)
		}
	}
}

func TestFlatReply(t *testing.T) {
	b := flatbuffers.NewBuilder(0)
	buf := orders.BuildFlatReply(b, 0xfeed)
	if id := fbs.GetRootAsOrderId(buf, 0).Id(); id != 0xfeed {
		t.Errorf("reply id %#x", id)
	}
	b.Reset()
	b.Finish(orders.BuildReplyOneStep(b, 0xbeef))
	if id := fbs.GetRootAsOrderId(b.FinishedBytes(), 0).Id(); id != 0xbeef {
		t.Errorf("one-step reply id %#x", id)
	}
	var err error = &orders.ErrMismatch{Got: 1, Want: 2}
	var m *orders.ErrMismatch
	if !errors.As(err, &m) || m.Error() == "" {
		t.Error("ErrMismatch is not an error type")
	}
}
