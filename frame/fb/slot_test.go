package fb_test

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/cellsubstrate/cell/examples/orders"
	"github.com/cellsubstrate/cell/frame/fb"
	flatbuffers "github.com/google/flatbuffers/go"
)

func buildOrder(b *flatbuffers.Builder, tags int) flatbuffers.UOffsetT {
	o := &orders.OrderT{Id: 99, Symbol: "ACME", Side: orders.SideBuy, Quantity: 10, Price: 12345, ClientName: "bob"}
	for i := 0; i < tags; i++ {
		o.Tags = append(o.Tags, "tag")
	}
	return o.Pack(b)
}

func TestSlotInPlace(t *testing.T) {
	mem := make([]byte, 300)
	for i := range mem {
		mem[i] = 0xAA
	}
	slot := mem[10:210] // 200 bytes: clipped to 200 (a multiple of 8)
	sb := fb.NewSlotBuilder()
	msg, err := sb.Finish(buildOrder(sb.Start(slot), 2))
	if err != nil {
		t.Fatal(err)
	}
	if !sb.InSlot() {
		t.Fatal("InSlot false after a fit")
	}
	// The message is the tail of the slot: same memory, nothing copied.
	if &msg[len(msg)-1] != &slot[len(slot)-1] {
		t.Fatal("message is not the tail of the slot")
	}
	for i := 210; i < len(mem); i++ {
		if mem[i] != 0xAA {
			t.Fatalf("byte %d after the slot was written", i)
		}
	}
	var o orders.Order
	if err := orders.ReadOrder(msg, &o); err != nil {
		t.Fatal(err)
	}
	if o.Id() != 99 || string(o.Symbol()) != "ACME" || o.TagsLength() != 2 {
		t.Errorf("read back %+v", o.UnPack())
	}
}

func TestSlotPayload(t *testing.T) {
	for _, size := range []int{160, 163, 200, 512} {
		slot := make([]byte, size)
		sb := fb.NewSlotBuilder()
		payload, err := sb.FinishPayload(buildOrder(sb.Start(slot), 1))
		if err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		if len(payload) != size&^7 || &payload[0] != &slot[0] {
			t.Fatalf("size %d: payload is %d bytes at a different start", size, len(payload))
		}
		var o orders.Order
		if err := orders.ReadOrder(payload, &o); err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		if o.Id() != 99 || string(o.ClientName()) != "bob" {
			t.Errorf("size %d: read back %+v", size, o.UnPack())
		}
	}
}

func TestSlotOverflow(t *testing.T) {
	slot := make([]byte, 64)
	sb := fb.NewSlotBuilder()
	b := sb.Start(slot)
	msg, err := sb.Finish(buildOrder(b, 20))
	if !errors.Is(err, fb.ErrSlotOverflow) || sb.InSlot() {
		t.Fatalf("err = %v, InSlot = %v: want ErrSlotOverflow", err, sb.InSlot())
	}
	// The message is whole in the Builder's own memory.
	var o orders.Order
	if err := orders.ReadOrder(msg, &o); err != nil || o.TagsLength() != 20 {
		t.Fatalf("overflowed message: %v, %d tags", err, o.TagsLength())
	}
	// The next Start uses the new slot again.
	big := make([]byte, 1024)
	msg, err = sb.Finish(buildOrder(sb.Start(big), 20))
	if err != nil || &msg[len(msg)-1] != &big[len(big)-1] {
		t.Fatalf("after overflow, next message: err %v", err)
	}
}

func TestSlotZeroAllocs(t *testing.T) {
	slot := make([]byte, 256)
	sb := fb.NewSlotBuilder()
	build := func() {
		b := sb.Start(slot)
		sym := b.CreateString("ACME")
		orders.OrderStart(b)
		orders.OrderAddId(b, 1)
		orders.OrderAddSymbol(b, sym)
		if _, err := sb.FinishPayload(orders.OrderEnd(b)); err != nil {
			t.Fatal(err)
		}
	}
	build()
	if n := testing.AllocsPerRun(100, build); n != 0 {
		t.Errorf("%v allocs per in-slot build, want 0", n)
	}
}

// Finish writes exactly the bytes Builder.Finish writes for a message aligned to 8,
// whatever the offset it ends at (Finish places the root offset's padding itself);
// a message aligned to 4 may get 4 bytes more, and reads the same.
func TestSlotFinishSameBytes(t *testing.T) {
	sb := fb.NewSlotBuilder()
	slot := make([]byte, 512)
	for n := 0; n < 24; n++ {
		build := func(b *flatbuffers.Builder) flatbuffers.UOffsetT {
			name := b.CreateString(strings.Repeat("x", n))
			orders.OrderStart(b)
			orders.OrderAddClientName(b, name)
			if n%3 == 0 {
				orders.OrderAddPrice(b, int64(n)) // an 8-byte field: the message aligns to 8
			}
			orders.OrderAddSide(b, orders.SideSell)
			return orders.OrderEnd(b)
		}
		msg, err := sb.Finish(build(sb.Start(slot)))
		if err != nil {
			t.Fatal(err)
		}
		ref := flatbuffers.NewBuilder(0)
		ref.Finish(build(ref))
		var a, b orders.Order
		if err := orders.ReadOrder(msg, &a); err != nil {
			t.Fatal(err)
		}
		b.Init(ref.FinishedBytes(), fb.RootPos(ref.FinishedBytes()))
		if !reflect.DeepEqual(a.UnPack(), b.UnPack()) {
			t.Fatalf("name of %d bytes: read %+v, want %+v", n, a.UnPack(), b.UnPack())
		}
		if n%3 != 0 && len(msg)-len(ref.FinishedBytes()) <= 4 {
			continue // aligned to 4 only
		}
		if !bytes.Equal(msg, ref.FinishedBytes()) {
			t.Fatalf("name of %d bytes: SlotBuilder.Finish wrote\n%x\nBuilder.Finish\n%x", n, msg, ref.FinishedBytes())
		}
	}
}
