package rpc

import (
	"bytes"
	"testing"

	"github.com/cellsubstrate/cell/frame"
)

// putFrame writes the same frame whether it copies the message backwards from the end
// of the build area (the usual case) or forwards from elsewhere (a message that outgrew
// its area), for every length and both slot sizes around the ring's trailing zero.
func TestPutFrame(t *testing.T) {
	h := frame.Header{Kind: frame.KindRequest, Method: 3, CallID: 77, Flags: frame.FlagDeadline, Deadline: 12345}
	for n := 0; n <= 300; n++ {
		msg := make([]byte, n)
		for i := range msg {
			msg[i] = byte(i*7 + n)
		}
		for _, extra := range []int{0, 4, 8, 32, 36, 40, 64, 100} {
			slotLen := frame.HeaderSize + n + extra
			// In place: msg at the end of the build area.
			area := make([]byte, slotLen-frame.HeaderSize)
			copy(area[len(area)-n:], msg)
			inArea := area[len(area)-n:]
			slot := bytes.Repeat([]byte{0xee}, slotLen)
			m := putFrame(slot, area, inArea, &h)
			// Elsewhere: the forward path.
			want := bytes.Repeat([]byte{0xee}, slotLen)
			mw := putFrame(want, area, append([]byte(nil), msg...), &h)
			if m != frame.HeaderSize+n || mw != m {
				t.Fatalf("n=%d extra=%d: lengths %d, %d", n, extra, m, mw)
			}
			if !bytes.Equal(slot[:m], want[:m]) {
				t.Fatalf("n=%d extra=%d: frames differ", n, extra)
			}
			var got frame.Header
			p, used, ok, err := frame.ParseInto(&got, slot[:m], m)
			if err != nil || !ok || used != m || got.CallID != 77 || got.Method != 3 || got.Deadline != 12345 || !bytes.Equal(p, msg) {
				t.Fatalf("n=%d extra=%d: parsed %+v %v %v %d", n, extra, got, ok, err, used)
			}
			// Past the frame: only the ring's trailing zero may have been written.
			z := (m + 7) &^ 7
			for i := m; i < slotLen; i++ {
				if slot[i] != 0xee && !(z >= 120 && i >= z && i < z+8) {
					t.Fatalf("n=%d extra=%d: byte %d past the frame written", n, extra, i)
				}
			}
		}
	}
}
