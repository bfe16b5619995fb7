package frame

import "fmt"

// Decoder parses frames under a configured size limit. The zero value accepts frames
// up to DefaultMaxSize. A Decoder holds only configuration: it may be copied and used
// by any number of goroutines.
type Decoder struct {
	// MaxSize is the largest frame, header included, that ParseInto accepts. Zero or less
	// means DefaultMaxSize. A larger frame is ErrTooLarge as soon as its first 4 bytes
	// are seen, so a peer cannot make the receiver buffer it.
	MaxSize int
}

// ParseInto is the package-level ParseInto with d's maximum size.
func (d Decoder) ParseInto(h *Header, buf []byte) (payload []byte, n int, ok bool, err error) {
	return ParseInto(h, buf, d.MaxSize)
}

// Check reports whether h can be sent: its kind is defined and it sets no undefined
// flag. AppendHeader does not check, so that encoding stays branch-free; a sender
// that builds headers from untrusted input calls Check first.
func (h *Header) Check() error {
	if h.Kind == 0 || h.Kind >= kindLimit {
		return fmt.Errorf("%w: %d", ErrKind, uint8(h.Kind))
	}
	if h.Flags&^flagsDefined != 0 {
		return fmt.Errorf("%w: %#x", ErrFlags, uint16(h.Flags))
	}
	return nil
}
