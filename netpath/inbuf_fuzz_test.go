//go:build unix

package netpath

import (
	"bytes"
	"testing"

	"github.com/cellsubstrate/cell/frame"
)

// feedInbuf runs the client's inbound buffer over data delivered in reads whose sizes
// come from sizes (cycled; a read never exceeds the buffer's free room, as read(2)
// does not), decoding after each read. It returns the frames seen, the bytes left
// undecoded, and the first error; it fails t if the buffer outgrows its bound or
// leaves less room than it promises.
func feedInbuf(t *testing.T, data, sizes []byte, maxSize int) (*recorder, []byte, error) {
	r := &recorder{}
	var ib inbuf
	ib.init(maxSize)
	var h frame.Header
	for i := 0; len(data) > 0; i++ {
		n := 1
		if len(sizes) > 0 {
			n = int(sizes[i%len(sizes)])*int(sizes[i%len(sizes)]) + 1 // up to 64K
		}
		free := ib.free()
		if len(free) == 0 {
			t.Fatalf("no room to read (buffer %d, undecoded %d)", len(ib.b), ib.wpos-ib.rpos)
		}
		n = min(n, len(data), len(free))
		copy(free, data[:n])
		ib.wrote(n)
		data = data[n:]
		if err := ib.decode(&h, r); err != nil {
			return r, ib.b[ib.rpos:ib.wpos], err
		}
		if limit := max(inInitial, maxSize+readMin); len(ib.b) > limit {
			t.Fatalf("buffer grew to %d, bound %d", len(ib.b), limit)
		}
		if len(ib.free()) < readMin {
			t.Fatalf("room after decode %d < %d", len(ib.free()), readMin)
		}
	}
	return r, ib.b[ib.rpos:ib.wpos], nil
}

// FuzzClientInbound feeds arbitrary bytes, cut into arbitrary reads, through the
// client's inbound buffer (compaction, growth for large frames, shrinking after). It
// must see exactly the frames and the error that decoding the whole stream at once
// sees, never panic, and stay within its size bound.
func FuzzClientInbound(f *testing.F) {
	big := frame.Header{Kind: frame.KindReply, CallID: 3}
	bigFrame := frame.AppendHeader(nil, &big, 40000)
	bigFrame = append(bigFrame, bytes.Repeat([]byte{7}, 40000)...)
	for _, s := range append(seedFrames(), bigFrame, append(append([]byte(nil), bigFrame...), seedFrames()[6]...)) {
		f.Add(s, []byte{0})
		f.Add(s, []byte{3, 200, 31})
		f.Add(s, []byte{255})
	}
	f.Fuzz(func(t *testing.T, data, sizes []byte) {
		const maxSize = 1 << 16
		whole := &recorder{}
		var h frame.Header
		used, wholeErr := decodeFrames(data, maxSize, &h, whole)
		wholeRest := data[used:]
		got, rest, err := feedInbuf(t, data, sizes, maxSize)
		if (err == nil) != (wholeErr == nil) || (err != nil && !sameSentinel(err, wholeErr)) {
			t.Fatalf("chunked error %v, whole error %v", err, wholeErr)
		}
		if len(got.hs) != len(whole.hs) {
			t.Fatalf("chunked saw %d frames, whole %d", len(got.hs), len(whole.hs))
		}
		for i := range got.hs {
			if got.hs[i] != whole.hs[i] || !bytes.Equal(got.payloads[i], whole.payloads[i]) {
				t.Fatalf("frame %d differs: %+v vs %+v", i, got.hs[i], whole.hs[i])
			}
		}
		if err == nil && !bytes.Equal(rest, wholeRest) {
			t.Fatalf("left %d bytes undecoded, whole left %d", len(rest), len(wholeRest))
		}
	})
}
