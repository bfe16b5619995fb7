package rpc

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ProtocolVersion is the handshake version this package speaks. docs/PROTOCOL.md
// ("Connection handshake") defines the payloads below byte by byte.
const ProtocolVersion = 1

// hello is the payload of a KindHello frame, both directions.
//
// The client sends its service name, host identity and method table; the server answers
// with its own identity, a status and, for every method the client named, the server's
// description of that method (an empty name when it has no such method), so each side
// can check compatibility itself and name both fingerprints.
type hello struct {
	Version uint8
	Flags   uint8 // helloWantSHM from a client; helloOK from a server
	Service string
	BootID  string
	PID     uint32
	Start   uint64 // process start time, clock ticks since boot
	Code    Code   // server: refusal code when helloOK is clear
	Message string // server: refusal reason
	Control string // server: its control socket for this service, for an upgrade to shared memory; "" if none
	Methods []MethodDesc
}

const (
	helloWantSHM = 1 << 0 // client: will upgrade to shared memory if the server agrees
	helloOK      = 1 << 1 // server: accepted
	helloSHM     = 1 << 2 // server: accepts a shared-memory segment on this connection
)

// maxHello bounds a handshake payload.
const maxHello = 1 << 20

// errHello wraps every handshake decoding failure.
var errHello = fmt.Errorf("%w: malformed hello", ErrProtocol)

func appendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

func appendShape(dst []byte, s *Shape) []byte {
	dst = appendString(dst, s.Type)
	dst = binary.AppendUvarint(dst, uint64(len(s.Fields)))
	for _, f := range s.Fields {
		dst = appendString(dst, f.Path)
		dst = appendString(dst, f.Name)
		dst = appendString(dst, f.Type)
	}
	return dst
}

// appendHello appends the encoding of h.
func appendHello(dst []byte, h *hello) []byte {
	dst = append(dst, h.Version, h.Flags)
	dst = appendString(dst, h.Service)
	dst = appendString(dst, h.BootID)
	dst = binary.AppendUvarint(dst, uint64(h.PID))
	dst = binary.AppendUvarint(dst, h.Start)
	dst = binary.AppendUvarint(dst, uint64(h.Code))
	dst = appendString(dst, h.Message)
	dst = appendString(dst, h.Control)
	dst = binary.AppendUvarint(dst, uint64(len(h.Methods)))
	for i := range h.Methods {
		m := &h.Methods[i]
		dst = appendString(dst, m.Name)
		dst = appendShape(dst, &m.Request)
		dst = appendShape(dst, &m.Reply)
	}
	return dst
}

// helloReader decodes with bounds checks; the first failure sticks.
type helloReader struct {
	b   []byte
	err error
}

func (r *helloReader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: %s", errHello, what)
	}
	r.b = nil
}

func (r *helloReader) byte(what string) byte {
	if len(r.b) < 1 {
		r.fail(what)
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

func (r *helloReader) uvarint(what string, max uint64) uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 || v > max {
		r.fail(what)
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *helloReader) string(what string, max int) string {
	n := r.uvarint(what, uint64(max))
	if r.err != nil {
		return ""
	}
	if uint64(len(r.b)) < n {
		r.fail(what)
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

func (r *helloReader) shape(s *Shape) {
	s.Type = r.string("shape type", maxName)
	n := r.uvarint("field count", maxFields)
	// Each field takes at least 3 bytes: refuse counts the input cannot hold before
	// allocating for them.
	if r.err != nil || n > uint64(len(r.b))/3 {
		r.fail("field count")
		return
	}
	if n > 0 {
		s.Fields = make([]Field, n)
	}
	for i := range s.Fields {
		s.Fields[i] = Field{Path: r.string("field path", maxName), Name: r.string("field name", maxName), Type: r.string("field type", maxName)}
		if i > 0 && r.err == nil && s.Fields[i-1].Path >= s.Fields[i].Path {
			r.fail("fields not sorted by path")
		}
	}
}

// parseHello decodes a hello payload. Every length and count is checked against the
// input and the limits above; bad input yields an error wrapping ErrProtocol.
func parseHello(b []byte) (*hello, error) {
	if len(b) > maxHello {
		return nil, fmt.Errorf("%w: %d bytes", errHello, len(b))
	}
	r := &helloReader{b: b}
	h := &hello{}
	h.Version = r.byte("version")
	if r.err == nil && h.Version != ProtocolVersion {
		return nil, fmt.Errorf("%w: protocol version %d, want %d", ErrProtocol, h.Version, ProtocolVersion)
	}
	h.Flags = r.byte("flags")
	h.Service = r.string("service", maxName)
	h.BootID = r.string("boot id", maxName)
	h.PID = uint32(r.uvarint("pid", 1<<32-1))
	h.Start = r.uvarint("start time", 1<<64-1)
	h.Code = Code(r.uvarint("code", 1<<32-1))
	h.Message = r.string("message", 4096)
	h.Control = r.string("control socket", maxName)
	n := r.uvarint("method count", maxMethods)
	if r.err != nil || n > uint64(len(r.b))/5 {
		r.fail("method count")
		return nil, r.err
	}
	if n > 0 {
		h.Methods = make([]MethodDesc, n)
	}
	for i := range h.Methods {
		m := &h.Methods[i]
		m.Name = r.string("method name", maxName)
		r.shape(&m.Request)
		r.shape(&m.Reply)
	}
	if r.err != nil {
		return nil, r.err
	}
	if len(r.b) != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes", errHello, len(r.b))
	}
	return h, nil
}

// errRefused is returned (wrapped) when the server refused the handshake for a reason
// other than an incompatible method.
var errRefused = errors.New("rpc: handshake refused")
