package rpc

import (
	"fmt"
	"strconv"
)

// Field is one field of a message shape, as the schema declares it.
//
// Path locates the field from the message's root table: the field ids of the tables
// walked through, joined by dots ("3" is field id 3 of the root, "5.1" is field 1 of the
// table held in root field 5). Name is the field's schema name; Type is its schema type
// spelled canonically ("int64", "string", "[string]", "Side:byte", "Address").
type Field struct {
	Path string
	Name string
	Type string
}

// Shape describes a message: its table's full name and every field reachable from it.
// Fields must be sorted by Path and free of duplicates; cellgen writes them so.
type Shape struct {
	Type   string
	Fields []Field
}

// MethodDesc describes one method of a service.
type MethodDesc struct {
	Name    string
	Request Shape
	Reply   Shape
}

// ServiceDesc describes a service: its name (the name clients find it by) and its
// methods. The index of a method in Methods is its id in the generated code. A
// ServiceDesc is immutable once passed to the runtime.
type ServiceDesc struct {
	Name    string
	Methods []MethodDesc
}

// Fingerprint is a stable 64-bit hash of a method's shape: its name, the request and
// reply type names, and every field's path, name and type. Two methods with equal
// fingerprints have identical shapes.
//
// The fingerprint names a shape in messages; it does not decide compatibility, since
// adding a field (a compatible change in FlatBuffers) changes it. Compatibility is
// decided field by field: see Compatible.
type Fingerprint uint64

// String returns the fingerprint as 16 hexadecimal digits.
func (f Fingerprint) String() string {
	const hexd = "0123456789abcdef"
	var b [16]byte
	for i := 15; i >= 0; i-- {
		b[i] = hexd[f&0xf]
		f >>= 4
	}
	return string(b[:])
}

// FNV-1a, 64 bit: stable across releases and platforms, no dependency.
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func fnvString(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime
	}
	// A separator byte that cannot occur in schema identifiers keeps "ab"+"c" apart
	// from "a"+"bc".
	h ^= 0xff
	h *= fnvPrime
	return h
}

// Fingerprint returns the method's fingerprint.
func (m *MethodDesc) Fingerprint() Fingerprint {
	h := uint64(fnvOffset)
	h = fnvString(h, m.Name)
	for _, s := range [2]*Shape{&m.Request, &m.Reply} {
		h = fnvString(h, s.Type)
		h = fnvString(h, strconv.Itoa(len(s.Fields)))
		for _, f := range s.Fields {
			h = fnvString(h, f.Path)
			h = fnvString(h, f.Name)
			h = fnvString(h, f.Type)
		}
	}
	return Fingerprint(h)
}

// Compatible reports whether a peer built with method b can exchange messages with one
// built with method a, and if not, why.
//
// The rule follows FlatBuffers' own evolution rules: the method name and the request and
// reply type names must be equal, and every field path present on both sides must have
// the same name and type. A path present on one side only is a field added (or
// deprecated and removed) by one side, which FlatBuffers readers tolerate: the reader
// sees the default. So adding a field keeps compatibility; changing a field's type or
// name, or a message's type, does not.
func Compatible(a, b *MethodDesc) (ok bool, why string) {
	if a.Name != b.Name {
		return false, fmt.Sprintf("method name %q vs %q", a.Name, b.Name)
	}
	for i, pair := range [2][2]*Shape{{&a.Request, &b.Request}, {&a.Reply, &b.Reply}} {
		which := "request"
		if i == 1 {
			which = "reply"
		}
		x, y := pair[0], pair[1]
		if x.Type != y.Type {
			return false, fmt.Sprintf("%s type %s vs %s", which, x.Type, y.Type)
		}
		// Both lists are sorted by path: merge.
		j := 0
		for _, f := range x.Fields {
			for j < len(y.Fields) && y.Fields[j].Path < f.Path {
				j++
			}
			if j < len(y.Fields) && y.Fields[j].Path == f.Path {
				g := y.Fields[j]
				if f.Name != g.Name || f.Type != g.Type {
					return false, fmt.Sprintf("%s field %s: %s %s vs %s %s", which, f.Path, f.Name, f.Type, g.Name, g.Type)
				}
			}
		}
	}
	return true, ""
}

// IncompatibleError is the error of a handshake that found a method whose shapes the two
// sides cannot exchange. It matches ErrIncompatible with errors.Is.
type IncompatibleError struct {
	Service string
	Method  string
	Local   Fingerprint // this side's fingerprint of Method
	Remote  Fingerprint // the peer's fingerprint of Method
	Reason  string      // the first difference found, as Compatible reports it
}

// Error names the service, the method, both fingerprints and the first difference.
func (e *IncompatibleError) Error() string {
	return fmt.Sprintf("rpc: service %s method %s is incompatible with the peer: local fingerprint %s, remote fingerprint %s: %s",
		e.Service, e.Method, e.Local, e.Remote, e.Reason)
}

// Is matches ErrIncompatible.
func (e *IncompatibleError) Is(target error) bool { return target == error(ErrIncompatible) }

// validate checks a ServiceDesc once, at registration or dial.
func (d *ServiceDesc) validate() error {
	if d == nil || d.Name == "" {
		return fmt.Errorf("rpc: service description without a name")
	}
	if len(d.Name) > maxName {
		return fmt.Errorf("rpc: service name longer than %d bytes", maxName)
	}
	if len(d.Methods) > maxMethods {
		return fmt.Errorf("rpc: service %s has %d methods, more than %d", d.Name, len(d.Methods), maxMethods)
	}
	seen := make(map[string]bool, len(d.Methods))
	for i := range d.Methods {
		m := &d.Methods[i]
		if m.Name == "" || seen[m.Name] {
			return fmt.Errorf("rpc: service %s: method %d has an empty or duplicate name %q", d.Name, i, m.Name)
		}
		seen[m.Name] = true
		for _, s := range [2]*Shape{&m.Request, &m.Reply} {
			if len(s.Fields) > maxFields {
				return fmt.Errorf("rpc: service %s method %s: %s has more than %d fields", d.Name, m.Name, s.Type, maxFields)
			}
			for k := 1; k < len(s.Fields); k++ {
				if s.Fields[k-1].Path >= s.Fields[k].Path {
					return fmt.Errorf("rpc: service %s method %s: fields of %s not sorted by path at %q", d.Name, m.Name, s.Type, s.Fields[k].Path)
				}
			}
		}
	}
	return nil
}

// Limits on what a handshake may carry; a peer exceeding them is refused.
const (
	maxName    = 255
	maxMethods = 1024
	maxFields  = 4096
)
