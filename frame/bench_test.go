package frame_test

import (
	"encoding/binary"
	"testing"

	"github.com/cellsubstrate/cell/frame"
)

// BenchmarkHeader encodes one header into a reused buffer (AppendHeader) and parses it
// back (ParseInto), per op.
// The baseline sub-benchmark writes and reads the same eight fields with
// encoding/binary and no validation: the floor for any header codec.
func BenchmarkHeader(b *testing.B) {
	h := frame.Header{Kind: frame.KindRequest, Flags: frame.FlagDeadline, Method: 3, CallID: 1, Deadline: 1 << 60}
	buf := make([]byte, 0, 64)
	b.Run("encode+parse", func(b *testing.B) {
		b.ReportAllocs()
		var got frame.Header
		for i := 0; i < b.N; i++ {
			h.CallID = uint64(i)
			out := frame.AppendHeader(buf[:0], &h, 0)
			_, _, ok, err := frame.ParseInto(&got, out, 0)
			if !ok || err != nil || got.CallID != uint64(i) {
				b.Fatal(ok, err)
			}
		}
	})
	b.Run("baseline-binary", func(b *testing.B) {
		b.ReportAllocs()
		raw := buf[:32]
		for i := 0; i < b.N; i++ {
			binary.LittleEndian.PutUint32(raw, 32)
			raw[4], raw[5] = 1, byte(h.Kind)
			binary.LittleEndian.PutUint16(raw[6:], uint16(h.Flags))
			binary.LittleEndian.PutUint32(raw[8:], h.Method)
			binary.LittleEndian.PutUint32(raw[12:], h.Aux)
			binary.LittleEndian.PutUint64(raw[16:], uint64(i))
			binary.LittleEndian.PutUint64(raw[24:], uint64(h.Deadline))
			if binary.LittleEndian.Uint64(raw[16:]) != uint64(i) || binary.LittleEndian.Uint32(raw) != 32 {
				b.Fatal("mismatch")
			}
		}
	})
}
