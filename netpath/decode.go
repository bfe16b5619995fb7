package netpath

import "github.com/cellsubstrate/cell/frame"

// frameSink receives the frames decodeFrames finds. h and payload are valid only until
// onFrame returns. Returning false stops decoding (the connection is closing).
type frameSink interface {
	onFrame(h *frame.Header, payload []byte) bool
}

// decodeFrames hands every whole frame at the start of buf to sink, in order, decoding
// each header into *h. It returns the number of bytes consumed (whole frames only: a
// partial frame at the end is left for the next call, with more bytes) and the first
// malformed-frame error. After an error the stream cannot be resynced.
func decodeFrames(buf []byte, maxSize int, h *frame.Header, sink frameSink) (consumed int, err error) {
	for consumed < len(buf) {
		// In place: Parse's by-value result would be copied into *h with wide loads of
		// the narrow stores that just wrote it (a store-forwarding stall per frame).
		payload, n, ok, perr := frame.ParseInto(h, buf[consumed:], maxSize)
		if err = perr; err != nil || !ok {
			return consumed, err
		}
		consumed += n
		if !sink.onFrame(h, payload) {
			return consumed, nil
		}
	}
	return consumed, nil
}
