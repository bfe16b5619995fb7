package frame_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/cellsubstrate/cell/frame"
)

type parsed struct {
	h       frame.Header
	payload []byte
}

// parseStream parses every complete frame of data, fed in chunks whose sizes come
// from cuts (cycled; 0 means 1), the way a transport hands over bytes as they arrive.
// It returns the frames, the first error and how many bytes were left over (after
// an error, how many were buffered when it was found, which depends on the chunks).
func parseStream(t *testing.T, data, cuts []byte, max int) ([]parsed, error, int) {
	var frames []parsed
	var pending []byte
	for i, c := 0, 0; i < len(data); c++ {
		step := 1
		if len(cuts) > 0 {
			step = max1(int(cuts[c%len(cuts)]))
		}
		end := min(len(data), i+step)
		pending = append(pending, data[i:end]...)
		i = end
		for {
			var h frame.Header
			p, n, ok, err := frame.ParseInto(&h, pending, max)
			if err != nil {
				return frames, err, len(pending)
			}
			if !ok {
				if n != 0 {
					t.Fatalf("need-more-bytes with n=%d", n)
				}
				break
			}
			if n < h.Len() || n > len(pending) || len(p) != n-h.Len() {
				t.Fatalf("n=%d header %d payload %d pending %d", n, h.Len(), len(p), len(pending))
			}
			frames = append(frames, parsed{h, append([]byte(nil), p...)})
			pending = pending[n:]
		}
	}
	return frames, nil, len(pending)
}

func max1(n int) int {
	if n == 0 {
		return 1
	}
	return n
}

// FuzzParseChunked checks that parsing a byte stream gives the same frames, the same
// error and the same leftover however the stream is split into chunks, and that a
// frame re-encoded from what ParseInto returned is byte-for-byte the frame it parsed
// (apart from the trace block's reserved bytes, which are ignored on receipt).
func FuzzParseChunked(f *testing.F) {
	var stream []byte
	for _, h := range sampleHeaders() {
		one := append(frame.AppendHeader(nil, &h, 3), 'a', 'b', 'c')
		f.Add(one, []byte{1}, uint16(0))
		f.Add(one, []byte{7, 13}, uint16(40))
		stream = append(stream, one...)
	}
	f.Add(stream, []byte{3, 200, 1, 64}, uint16(0))
	f.Add(stream[:len(stream)-5], []byte{255}, uint16(0))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 1}, []byte{2}, uint16(0))
	f.Fuzz(func(t *testing.T, data, cuts []byte, max uint16) {
		limit := int(max) // 0 means the default
		whole, werr, wleft := parseStream(t, data, []byte{255}, limit)
		parts, perr, pleft := parseStream(t, data, cuts, limit)
		if len(whole) != len(parts) || (werr == nil) != (perr == nil) || (werr == nil && wleft != pleft) {
			t.Fatalf("chunking changed the result: %d frames err %v left %d vs %d frames err %v left %d",
				len(whole), werr, wleft, len(parts), perr, pleft)
		}
		if werr != nil && perr.Error() != werr.Error() {
			t.Fatalf("errors differ: %v vs %v", werr, perr)
		}
		for _, err := range []error{werr} {
			if err != nil && !errors.Is(err, frame.ErrVersion) && !errors.Is(err, frame.ErrKind) &&
				!errors.Is(err, frame.ErrFlags) && !errors.Is(err, frame.ErrTooLarge) && !errors.Is(err, frame.ErrLength) {
				t.Fatalf("untyped error %v", err)
			}
		}
		off := 0
		for i := range whole {
			if whole[i].h != parts[i].h || !bytes.Equal(whole[i].payload, parts[i].payload) {
				t.Fatalf("frame %d differs", i)
			}
			h := whole[i].h
			if err := h.Check(); err != nil {
				t.Fatalf("parsed header fails Check: %v", err)
			}
			enc := append(frame.AppendHeader(nil, &h, len(whole[i].payload)), whole[i].payload...)
			orig := data[off : off+len(enc)]
			if h.Flags&frame.FlagTrace != 0 {
				orig = append([]byte(nil), orig...)
				clear(orig[57:64]) // reserved, ignored on receipt
			}
			if !bytes.Equal(enc, orig) {
				t.Fatalf("re-encoding frame %d:\n got %x\nwant %x", i, enc, orig)
			}
			off += len(enc)
		}
	})
}

// FuzzHeaderRoundTrip checks decode(encode(h)) == h for every header that Check
// accepts.
func FuzzHeaderRoundTrip(f *testing.F) {
	for _, h := range sampleHeaders() {
		f.Add(uint8(h.Kind), uint16(h.Flags), h.Method, h.Aux, h.CallID, h.Deadline, h.Trace.TraceID[:], h.Trace.SpanID[:], h.Trace.Flags, 5)
	}
	f.Fuzz(func(t *testing.T, kind uint8, flags uint16, method, aux uint32, call uint64, deadline int64, tid, sid []byte, tflags uint8, plen int) {
		h := frame.Header{Kind: frame.Kind(kind), Flags: frame.Flags(flags), Method: method, Aux: aux, CallID: call, Deadline: deadline}
		if h.Flags&frame.FlagTrace != 0 {
			copy(h.Trace.TraceID[:], tid)
			copy(h.Trace.SpanID[:], sid)
			h.Trace.Flags = tflags
		}
		plen = int(uint(plen) % 300)
		buf := append(frame.AppendHeader(nil, &h, plen), make([]byte, plen)...)
		var got frame.Header
		p, n, ok, err := frame.ParseInto(&got, buf, 0)
		if h.Check() != nil {
			if err == nil {
				t.Fatalf("invalid header %+v parsed", h)
			}
			return
		}
		if err != nil || !ok || got != h || len(p) != plen || n != len(buf) {
			t.Fatalf("round trip: %+v -> %+v ok=%v err=%v", h, got, ok, err)
		}
	})
}
