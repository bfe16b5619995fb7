package ring

import (
	"errors"
	"testing"

	"github.com/cellsubstrate/cell/futex"
)

// FuzzRecord checks the record decoder: a header the producer writes decodes to what
// it wrote, and any header at all either decodes to an extent inside the room the
// consumer allows and the data area, or is rejected.
func FuzzRecord(f *testing.F) {
	const size, maxRec = 4096, 4096/2 - recHeaderSize
	for _, n := range []uint32{0, 1, 7, 8, 100, maxRec} {
		f.Add(recHeader(n, kindData), uint64(0), uint64(size-8))
		f.Add(recHeader(n, kindData), uint64(2048), uint64(2048))
	}
	f.Add(recHeader(0, kindPad), uint64(4000), uint64(200))
	f.Add(recHeader(0, kindPad), uint64(4000), uint64(96))
	f.Add(recHeader(0, kindPad), uint64(0), uint64(4088))
	f.Add(uint64(0), uint64(8), uint64(64))
	f.Fuzz(func(t *testing.T, h, off, room uint64) {
		off = (off % size) &^ 7
		room = (room % (size - 7)) &^ 7 // [0, size-8]
		if h == 0 {
			h = recHeader(0, 0) // the consumer never decodes an unwritten slot; keep it a bad kind
		}
		adv, length, pad, bad := decodeRecord(h, off, room, size, maxRec)
		if bad != "" {
			return
		}
		if adv < recHeaderSize || adv > room || off+adv > size || (!pad && recHeaderSize+length > adv) {
			t.Fatalf("decode(%#x, off %d, room %d) = adv %d len %d pad %v: out of bounds", h, off, room, adv, length, pad)
		}
		// Round trip: what the decoder accepted, the encoder writes identically.
		kind := uint32(kindData)
		if pad {
			kind = kindPad
		}
		if e := recHeader(uint32(length), kind); e != h {
			t.Fatalf("header %#x decoded to length %d pad %v, which encodes as %#x", h, length, pad, e)
		}
	})
}

// fuzzRing is a consumer over a heap copy of a ring image: a 512-byte control block and
// a 4096-byte data area.
func fuzzRing(image []byte) (*Consumer, []byte) {
	buf := make([]uint64, (ringCtlSize+minRingSize)/8) // 8-aligned backing for the atomics
	mem := unsafeBytes(buf)
	copy(mem, image)
	ctl, data := mem[:ringCtlSize], mem[ringCtlSize:]
	l := &life{}
	l.init(func() {})
	var c Consumer
	// Attaching refuses an unaligned position (segment.positions); so does this image.
	c.init(data, ctl, load64(word64(ctl, ctlHead))&^(recAlign-1), 0, futex.FenceNone, l)
	return &c, mem
}

// FuzzConsumer feeds the consumer an arbitrary ring image (position, record headers and
// payloads). Without a Release in between, it must return records inside the data area
// until ErrEmpty or ErrCorrupt, and stop: never panic, read out of range or loop (a
// hostile image may hold records all round the ring, but the consumer takes at most
// size-8 bytes of records before it releases). Seeds are images a real Producer wrote.
func FuzzConsumer(f *testing.F) {
	for _, recs := range [][]int{{}, {0}, {5, 100, 3}, {2000, 2000}, {1000, 1000, 1000, 1000, 1000}, {2040, 2032}} {
		f.Add(producedImage(recs))
	}
	f.Fuzz(func(t *testing.T, image []byte) {
		c, mem := fuzzRing(image)
		data := mem[ringCtlSize:]
		for i := 0; i < minRingSize/recHeaderSize+2; i++ {
			rec, err := c.TryPeek()
			if err == ErrEmpty {
				c.Release() // harmless, and covers the release path
				return
			}
			if err != nil {
				if !errors.Is(err, ErrCorrupt) {
					t.Fatalf("TryPeek error %v does not match ErrCorrupt", err)
				}
				if _, err2 := c.TryPeek(); !errors.Is(err2, ErrCorrupt) {
					t.Fatalf("error not sticky: %v", err2)
				}
				return
			}
			if len(rec) > 0 && !within(rec, data) {
				t.Fatal("record outside the data area")
			}
			if c.pos-c.released > c.room {
				t.Fatalf("consumer took %d bytes without releasing; at most %d", c.pos-c.released, c.room)
			}
		}
		t.Fatal("consumer did not stop")
	})
}

// producedImage writes records of the given sizes with a real Producer (after moving the
// positions so the last ones wrap with a pad record) and returns the ring image.
func producedImage(sizes []int) []byte {
	buf := make([]uint64, (ringCtlSize+minRingSize)/8)
	mem := unsafeBytes(buf)
	ctl, data := mem[:ringCtlSize], mem[ringCtlSize:]
	start := uint64(3000)
	store64(word64(ctl, ctlTail), start)
	store64(word64(ctl, ctlHead), start)
	l := &life{}
	l.init(func() {})
	var p Producer
	p.init(data, ctl, start, 0, futex.FenceNone, l)
	for i, n := range sizes {
		b, err := p.TryReserve(n)
		if err != nil {
			break
		}
		for j := range b {
			b[j] = byte(i + j)
		}
		p.Commit(n)
	}
	return append([]byte(nil), mem...)
}
