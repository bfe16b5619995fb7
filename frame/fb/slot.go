package fb

import (
	"encoding/binary"
	"errors"

	flatbuffers "github.com/google/flatbuffers/go"
)

// ErrSlotOverflow occurs when a message did not fit the slot it was built in: the
// Builder had to grow into memory of its own. The finished message is still
// available from Builder.FinishedBytes and may be copied into a larger slot.
var ErrSlotOverflow = errors.New("fb: message outgrew its slot")

// SlotBuilder builds FlatBuffers directly into memory the caller owns, such as a
// reserved ring record, so that the message need not be copied. It wraps a
// flatbuffers.Builder that is reused from message to message; after warm-up, building
// into a slot allocates nothing. A SlotBuilder is used by one goroutine at a time.
//
// A FlatBuffers builder writes back to front, so a finished message occupies the end
// of its slot. Finish returns it there; FinishPayload makes the whole slot the
// payload by pointing a root offset at its start to the message at its end.
type SlotBuilder struct {
	b    flatbuffers.Builder
	slot []byte
}

// NewSlotBuilder returns a SlotBuilder.
func NewSlotBuilder() *SlotBuilder {
	return &SlotBuilder{b: *flatbuffers.NewBuilder(0)}
}

// Start begins a message in slot and returns the Builder to build it with (using
// flatc's generated XxxStart/XxxAdd/XxxEnd functions). The slot is clipped to
// slot[:n:n], n being len(slot) rounded down to a multiple of 8, so the Builder can
// never write past it and its alignment holds relative to both ends. The previous
// message's bytes must no longer be needed.
func (s *SlotBuilder) Start(slot []byte) *flatbuffers.Builder {
	n := len(slot) &^ 7
	s.slot = slot[:n:n]
	s.b.Bytes = s.slot
	s.b.Reset()
	return &s.b
}

// Builder returns the Builder of the message being built.
func (s *SlotBuilder) Builder() *flatbuffers.Builder { return &s.b }

// InSlot reports whether everything built so far is still inside the slot given to
// Start: false once the Builder has grown into memory of its own.
func (s *SlotBuilder) InSlot() bool {
	n := len(s.slot)
	return n > 0 && len(s.b.Bytes) == n && &s.b.Bytes[n-1] == &s.slot[n-1]
}

// Finish completes the message with root as its root table. When the message fit,
// it returns the message, which is the tail of the slot, and a nil error. When the
// Builder outgrew the slot it returns the message from the Builder's own memory
// (valid until the next Start) and ErrSlotOverflow.
func (s *SlotBuilder) Finish(root flatbuffers.UOffsetT) ([]byte, error) {
	// Builder.Finish aligns the 4-byte root offset to the message's largest
	// alignment, 8 for any message with an 8-byte field, with a byte-at-a-time
	// padding loop that costs more than the rest of Finish. Placing those 4 zero
	// bytes at once first leaves it nothing to pad: the same bytes. (A message
	// aligned to 4 only would not have needed them: it gets 4 bytes of padding more.)
	if s.b.Offset()&7 == 0 && s.b.Head() >= 8 {
		s.b.PlaceUint32(0)
	}
	s.b.Finish(root)
	msg := s.b.FinishedBytes()
	if !s.InSlot() {
		return msg, ErrSlotOverflow
	}
	return msg, nil
}

// FinishPayload completes the message with root as its root table and makes the whole
// clipped slot a valid FlatBuffer: when the message does not start at the slot's
// first byte, a root offset written there points to it, and the bytes between are
// unused. It returns the payload (the clipped slot) so that the caller can commit the
// slot as it is, with no copy. It returns ErrSlotOverflow as Finish does.
func (s *SlotBuilder) FinishPayload(root flatbuffers.UOffsetT) ([]byte, error) {
	msg, err := s.Finish(root)
	if err != nil {
		return msg, err
	}
	head := uint32(len(s.slot) - len(msg))
	if head != 0 {
		// The message starts with the root's offset relative to head.
		rel := binary.LittleEndian.Uint32(msg)
		binary.LittleEndian.PutUint32(s.slot, head+rel)
	}
	return s.slot, nil
}

// RootPos returns the position of the root table of a FlatBuffer, to pass with the
// buffer to a generated table's Init method; reading in place this way allocates
// nothing. buf must have been verified.
func RootPos(buf []byte) flatbuffers.UOffsetT {
	return flatbuffers.GetUOffsetT(buf)
}
