package netpath

import (
	"bytes"
	"errors"
	"testing"

	"github.com/cellsubstrate/cell/frame"
)

// recorder is a frameSink that keeps a copy of every frame.
type recorder struct {
	hs       []frame.Header
	payloads [][]byte
}

func (r *recorder) onFrame(h *frame.Header, p []byte) bool {
	r.hs = append(r.hs, *h)
	r.payloads = append(r.payloads, bytes.Clone(p))
	return true
}

// feed runs the event loop's decoding over data delivered in chunks whose sizes come
// from sizes (cycled; a zero size means one byte), keeping the unconsumed tail between
// chunks as gnet's inbound buffer does. It returns the frames seen, the bytes left
// undecoded, and the first error.
func feed(data, sizes []byte, maxSize int) (*recorder, []byte, error) {
	r := &recorder{}
	var pending []byte
	var h frame.Header
	for i := 0; len(data) > 0; i++ {
		n := 1
		if len(sizes) > 0 {
			n = int(sizes[i%len(sizes)]) + 1
		}
		n = min(n, len(data))
		pending = append(pending, data[:n]...)
		data = data[n:]
		used, err := decodeFrames(pending, maxSize, &h, r)
		pending = pending[used:]
		if err != nil {
			return r, pending, err
		}
	}
	return r, pending, nil
}

func seedFrames() [][]byte {
	var seeds [][]byte
	var all []byte
	for i, h := range []frame.Header{
		{Kind: frame.KindRequest, Method: 3, CallID: 1 << 16},
		{Kind: frame.KindReply, CallID: 2<<16 | 5},
		{Kind: frame.KindError, CallID: 9, Aux: CodeProtocol},
		{Kind: frame.KindCancel, CallID: 7},
		{Kind: frame.KindRequest, Flags: frame.FlagDeadline | frame.FlagTrace, Deadline: 12345, CallID: 8},
		{Kind: frame.KindGoAway, CallID: 99},
	} {
		payload := bytes.Repeat([]byte{byte(i)}, i*7)
		f := frame.AppendHeader(nil, &h, len(payload))
		f = append(f, payload...)
		seeds = append(seeds, f)
		all = append(all, f...)
	}
	return append(seeds, all, all[:len(all)-3])
}

// FuzzStreamDecoder feeds arbitrary bytes in arbitrary chunk sizes to the stream
// decoder. However the stream is cut, it must see exactly the frames (headers and
// payloads) and the error that decoding the whole stream at once sees, and must never
// panic or read past what a header declares.
func FuzzStreamDecoder(f *testing.F) {
	for _, s := range seedFrames() {
		f.Add(s, []byte{0})
		f.Add(s, []byte{3, 200, 31})
		f.Add(s, []byte{255})
	}
	f.Fuzz(func(t *testing.T, data, sizes []byte) {
		const maxSize = 1 << 16
		whole, wholeRest, wholeErr := feed(data, []byte{255, 255, 255, 255}, maxSize)
		if len(data) <= 1024 {
			// One chunk holds everything when data is short: the reference.
			whole, wholeRest, wholeErr = &recorder{}, nil, nil
			var h frame.Header
			used, err := decodeFrames(data, maxSize, &h, whole)
			wholeRest, wholeErr = data[used:], err
		}
		got, rest, err := feed(data, sizes, maxSize)
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
			// Meaning, not just no panic: re-encoding a decoded frame gives a frame
			// that decodes to the same header and payload.
			enc := frame.AppendHeader(nil, &got.hs[i], len(got.payloads[i]))
			enc = append(enc, got.payloads[i]...)
			var h2 frame.Header
			p2, n, ok, err := frame.ParseInto(&h2, enc, maxSize)
			if err != nil || !ok || n != len(enc) || h2 != got.hs[i] || !bytes.Equal(p2, got.payloads[i]) {
				t.Fatalf("frame %d does not round-trip: %v", i, err)
			}
		}
		if err == nil && !bytes.Equal(rest, wholeRest) {
			t.Fatalf("left %d bytes undecoded, whole left %d", len(rest), len(wholeRest))
		}
	})
}

func sameSentinel(a, b error) bool {
	for _, s := range []error{frame.ErrVersion, frame.ErrKind, frame.ErrFlags, frame.ErrTooLarge, frame.ErrLength} {
		if errors.Is(a, s) != errors.Is(b, s) {
			return false
		}
	}
	return true
}
