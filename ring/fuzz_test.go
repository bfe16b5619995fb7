package ring

import (
	"encoding/binary"
	"errors"
	"testing"

	"github.com/cellsubstrate/cell/futex"
)

// FuzzRecord checks the record decoder: a header the producer writes decodes to what
// it wrote, and any header at all either decodes to an extent inside the published range
// and the data area, or is rejected.
func FuzzRecord(f *testing.F) {
	const size, maxRec = 4096, 4096/2 - recHeaderSize
	for _, n := range []uint32{0, 1, 7, 8, 100, maxRec} {
		var b [8]byte
		writeRecHeader(b[:], n, kindData)
		f.Add(binary.LittleEndian.Uint64(b[:]), uint64(0), uint64(size))
		f.Add(binary.LittleEndian.Uint64(b[:]), uint64(2048), uint64(2048))
	}
	var b [8]byte
	writeRecHeader(b[:], 0, kindPad)
	f.Add(binary.LittleEndian.Uint64(b[:]), uint64(4000), uint64(200))
	f.Fuzz(func(t *testing.T, h, off, avail uint64) {
		off = (off % size) &^ 7
		avail = 8 + (avail%size)&^7
		adv, length, pad, bad := decodeRecord(h, off, avail, size, maxRec)
		if bad != "" {
			return
		}
		if adv < recHeaderSize || adv > avail || off+adv > size || (!pad && recHeaderSize+length > adv) {
			t.Fatalf("decode(%#x, off %d, avail %d) = adv %d len %d pad %v: out of bounds", h, off, avail, adv, length, pad)
		}
		// Round trip: what the decoder accepted as data, the encoder writes identically.
		if !pad {
			var e [8]byte
			writeRecHeader(e[:], uint32(length), kindData)
			if binary.LittleEndian.Uint64(e[:]) != h {
				t.Fatalf("header %#x decoded to length %d, which encodes as %#x", h, length, binary.LittleEndian.Uint64(e[:]))
			}
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
	head := load64(word64(ctl, ctlHead))
	c.init(data, ctl, head, head, 0, futex.FenceNone, l)
	return &c, mem
}

// FuzzConsumer feeds the consumer an arbitrary ring image (positions, record headers and
// payloads). It must return records inside the data area, ErrEmpty or ErrCorrupt, and
// stop: never panic, read out of range or loop. Seeds are images a real Producer wrote.
func FuzzConsumer(f *testing.F) {
	for _, recs := range [][]int{{}, {0}, {5, 100, 3}, {2000, 2000}, {1000, 1000, 1000, 1000, 1000}} {
		f.Add(producedImage(recs))
	}
	f.Fuzz(func(t *testing.T, image []byte) {
		c, mem := fuzzRing(image)
		data := mem[ringCtlSize:]
		for i := 0; i < minRingSize/recHeaderSize+2; i++ {
			rec, err := c.TryPeek()
			if err == ErrEmpty {
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
			c.Release()
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
	p.init(data, ctl, start, start, 0, futex.FenceNone, l)
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
