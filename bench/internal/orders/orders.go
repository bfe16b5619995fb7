// Package orders is the one workload every system in the bench serves: an order
// request (id, symbol, side, quantity, price, client name, a vector of tags) whose
// handler reads every field and answers with an OrderId derived from all of them,
// so a peer that skipped a field, or a reply that was not built from the request,
// fails the client's check.
//
// The same values are carried as protobuf (pb.Order) and as FlatBuffers (the
// Order table of examples/orders, the very types cell's Orders service uses). Request builders and
// handlers here are the only code that touches the payload; the systems move bytes.
package orders

import (
	"fmt"
	"strings"

	"github.com/cellsubstrate/cell/bench/internal/pb"
	fbs "github.com/cellsubstrate/cell/examples/orders"
	flatbuffers "github.com/google/flatbuffers/go"
	"google.golang.org/protobuf/proto"
)

// Fields are the values of one order, independent of the encoding.
type Fields struct {
	ID         uint64
	Symbol     string
	Sell       bool
	Quantity   uint32
	Price      int64
	ClientName string
	Tags       []string
}

// Sample returns an order whose protobuf encoding is size bytes give or take a few
// (size >= 48): the fixed fields take about 40 bytes and the tags fill the rest.
func Sample(size int) Fields {
	f := Fields{
		ID:         0x1234_5678_9abc,
		Symbol:     "ACME",
		Sell:       true,
		Quantity:   1500,
		Price:      1_234_567,
		ClientName: "desk-07",
	}
	for i := 0; ; i++ {
		n := proto.Size(f.Proto())
		rest := size - n - 2 // a tag costs its length plus a key byte and a length byte
		if rest <= 0 {
			break
		}
		l := min(rest, 62)
		if l < 1 {
			break
		}
		f.Tags = append(f.Tags, tag(i, l))
	}
	return f
}

func tag(i, n int) string {
	s := fmt.Sprintf("t%d-", i)
	if len(s) >= n {
		return s[:n]
	}
	return s + strings.Repeat("x", n-len(s))
}

// Expect is the reply id a correct handler returns for f.
func (f Fields) Expect() uint64 {
	d := newDigest()
	d.u64(f.ID)
	d.bytes([]byte(f.Symbol))
	if f.Sell {
		d.u64(1)
	} else {
		d.u64(0)
	}
	d.u64(uint64(f.Quantity))
	d.u64(uint64(f.Price))
	d.bytes([]byte(f.ClientName))
	for _, t := range f.Tags {
		d.bytes([]byte(t))
	}
	return d.h
}

// Object returns f as the FlatBuffers object-API type (cell's convenient tier).
func (f Fields) Object() *fbs.OrderT {
	side := fbs.SideBuy
	if f.Sell {
		side = fbs.SideSell
	}
	return &fbs.OrderT{Id: f.ID, Symbol: f.Symbol, Side: side, Quantity: f.Quantity,
		Price: f.Price, ClientName: f.ClientName, Tags: f.Tags}
}

// DigestObject reads every field of an object-API order and returns the reply id.
func DigestObject(o *fbs.OrderT) uint64 {
	d := newDigest()
	d.u64(o.Id)
	d.str(o.Symbol)
	d.u64(uint64(o.Side))
	d.u64(uint64(o.Quantity))
	d.u64(uint64(o.Price))
	d.str(o.ClientName)
	for _, t := range o.Tags {
		d.str(t)
	}
	return d.h
}

// Proto returns f as a protobuf message.
func (f Fields) Proto() *pb.Order {
	side := pb.Side_BUY
	if f.Sell {
		side = pb.Side_SELL
	}
	return &pb.Order{Id: f.ID, Symbol: f.Symbol, Side: side, Quantity: f.Quantity,
		Price: f.Price, ClientName: f.ClientName, Tags: f.Tags}
}

// BuildOrder writes f as an Order table with b and returns its offset, without
// finishing the buffer (cell's zero-copy tier finishes it and copies it into the ring slot).
func (f Fields) BuildOrder(b *flatbuffers.Builder) flatbuffers.UOffsetT {
	var tags [128]flatbuffers.UOffsetT
	offs := tags[:0]
	for _, t := range f.Tags {
		offs = append(offs, b.CreateString(t))
	}
	sym := b.CreateString(f.Symbol)
	client := b.CreateString(f.ClientName)
	fbs.OrderStartTagsVector(b, len(offs))
	for i := len(offs) - 1; i >= 0; i-- {
		b.PrependUOffsetT(offs[i])
	}
	vec := b.EndVector(len(offs))
	fbs.OrderStart(b)
	fbs.OrderAddId(b, f.ID)
	fbs.OrderAddSymbol(b, sym)
	if f.Sell {
		fbs.OrderAddSide(b, fbs.SideSell)
	}
	fbs.OrderAddQuantity(b, f.Quantity)
	fbs.OrderAddPrice(b, f.Price)
	fbs.OrderAddClientName(b, client)
	fbs.OrderAddTags(b, vec)
	return fbs.OrderEnd(b)
}

// OneStep returns f as the fields of the one-step builder cellgen generates for the
// Order table (fbs.OrderBuild).
func (f Fields) OneStep() fbs.OrderFields {
	side := fbs.SideBuy
	if f.Sell {
		side = fbs.SideSell
	}
	return fbs.OrderFields{Id: f.ID, Symbol: f.Symbol, Side: side, Quantity: f.Quantity,
		Price: f.Price, ClientName: f.ClientName, Tags: f.Tags}
}

// BuildOrderOneStep writes f as an Order table with cellgen's one-step builder and
// returns its offset, unfinished: the fields BuildOrder writes, in one pass (cell's
// clients build with it; readers cannot tell the two apart).
func (f Fields) BuildOrderOneStep(b *flatbuffers.Builder) flatbuffers.UOffsetT {
	of := f.OneStep()
	return fbs.OrderBuild(b, &of)
}

// BuildFlat builds f as a finished Order buffer in b (which it resets) and returns
// the bytes, which alias b's buffer.
func (f Fields) BuildFlat(b *flatbuffers.Builder) []byte {
	b.Reset()
	b.Finish(f.BuildOrder(b))
	return b.FinishedBytes()
}

// HandleProto is the server's work for a protobuf request: it reads every field
// of req and returns the reply.
func HandleProto(req *pb.Order) *pb.OrderId {
	return &pb.OrderId{Id: DigestProto(req)}
}

// DigestProto reads every field of req and returns the reply id.
func DigestProto(req *pb.Order) uint64 {
	d := newDigest()
	d.u64(req.GetId())
	d.str(req.GetSymbol())
	d.u64(uint64(req.GetSide()))
	d.u64(uint64(req.GetQuantity()))
	d.u64(uint64(req.GetPrice()))
	d.str(req.GetClientName())
	for _, t := range req.GetTags() {
		d.str(t)
	}
	return d.h
}

// DigestFlat reads every field of the FlatBuffers order in place and returns the
// reply id.
func DigestFlat(o *fbs.Order) uint64 {
	d := newDigest()
	d.u64(o.Id())
	d.bytes(o.Symbol())
	d.u64(uint64(o.Side()))
	d.u64(uint64(o.Quantity()))
	d.u64(uint64(o.Price()))
	d.bytes(o.ClientName())
	for i, n := 0, o.TagsLength(); i < n; i++ {
		d.bytes(o.Tags(i))
	}
	return d.h
}

// BuildReply writes an OrderId table with id and returns its offset, unfinished.
func BuildReply(b *flatbuffers.Builder, id uint64) flatbuffers.UOffsetT {
	fbs.OrderIdStart(b)
	fbs.OrderIdAddId(b, id)
	return fbs.OrderIdEnd(b)
}

// BuildReplyOneStep is BuildReply with cellgen's one-step builder (cell's server).
func BuildReplyOneStep(b *flatbuffers.Builder, id uint64) flatbuffers.UOffsetT {
	return fbs.OrderIdBuild(b, &fbs.OrderIdFields{Id: id})
}

// BuildFlatReply builds a finished OrderId buffer with id in b (which it resets)
// and returns the bytes, which alias b's buffer.
func BuildFlatReply(b *flatbuffers.Builder, id uint64) []byte {
	b.Reset()
	b.Finish(BuildReply(b, id))
	return b.FinishedBytes()
}

// ErrMismatch is returned by clients whose reply id differs from Fields.Expect.
type ErrMismatch struct{ Got, Want uint64 }

func (e *ErrMismatch) Error() string {
	return fmt.Sprintf("orders: reply id %#x, want %#x", e.Got, e.Want)
}

// digest is FNV-1a over every byte and integer of an order: cheap, but it makes
// the handler touch every byte of the payload.
type digest struct{ h uint64 }

func newDigest() digest { return digest{h: 14695981039346656037} }

func (d *digest) u64(v uint64) {
	for i := 0; i < 8; i++ {
		d.h ^= v & 0xff
		d.h *= 1099511628211
		v >>= 8
	}
}

func (d *digest) bytes(b []byte) {
	d.u64(uint64(len(b)))
	for _, c := range b {
		d.h ^= uint64(c)
		d.h *= 1099511628211
	}
}

func (d *digest) str(s string) {
	d.u64(uint64(len(s)))
	for i := 0; i < len(s); i++ {
		d.h ^= uint64(s[i])
		d.h *= 1099511628211
	}
}
