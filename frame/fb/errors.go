package fb

import (
	"errors"
	"strconv"
)

// The reasons a buffer fails verification. A verification error is an *Error whose
// Err is one of these; match with errors.Is.
var (
	// ErrBufferSize occurs when a buffer is shorter than a root offset or longer
	// than MaxBufferSize.
	ErrBufferSize = errors.New("fb: buffer size out of range")
	// ErrIdentifier occurs when a schema declares a file_identifier and the buffer
	// carries a different one.
	ErrIdentifier = errors.New("fb: wrong file identifier")
	// ErrOutOfBounds occurs when an offset, a table, a field, a vector or a string
	// reaches outside the buffer or outside its table.
	ErrOutOfBounds = errors.New("fb: out of bounds")
	// ErrVTable occurs when a table's vtable is malformed: outside the buffer, shorter
	// than its own header, of odd length, or declaring a table shorter than its offset.
	ErrVTable = errors.New("fb: malformed vtable")
	// ErrUnterminated occurs when a string lacks its terminating NUL byte.
	ErrUnterminated = errors.New("fb: string not NUL-terminated")
	// ErrRequired occurs when a field declared (required) is absent.
	ErrRequired = errors.New("fb: required field missing")
	// ErrUnion occurs when a union's type and value disagree: a type without a value,
	// or a value with type NONE.
	ErrUnion = errors.New("fb: inconsistent union")
	// ErrDepth occurs when tables nest deeper than Limits.MaxDepth.
	ErrDepth = errors.New("fb: tables nested too deep")
	// ErrTooManyTables occurs when a buffer holds more tables than Limits.MaxTables
	// (shared sub-tables count each time they are reached).
	ErrTooManyTables = errors.New("fb: too many tables")
)

// Error is a verification failure. It names the table type and field where the
// problem was found and the byte position in the buffer.
type Error struct {
	Type  string // fully qualified table or struct name, e.g. "orders.Order"
	Field string // field name, "" when the problem is the table itself
	Index int    // vector element index, or -1
	Pos   uint64 // byte position in the buffer where the bad value was read
	Err   error  // one of the sentinel errors above
}

// Error returns e.g. "fb: orders.Order.tags[2] at byte 120: fb: out of bounds".
func (e *Error) Error() string {
	s := "fb: " + e.Type
	if e.Field != "" {
		s += "." + e.Field
	}
	if e.Index >= 0 {
		s += "[" + strconv.Itoa(e.Index) + "]"
	}
	return s + " at byte " + strconv.FormatUint(e.Pos, 10) + ": " + e.Err.Error()
}

// Unwrap returns the sentinel error.
func (e *Error) Unwrap() error { return e.Err }

// fail builds the error. It is out of line so that the success paths that call it
// stay small and allocation-free.
//
//go:noinline
func fail(typ, field string, index int, pos uint64, err error) error {
	return &Error{Type: typ, Field: field, Index: index, Pos: pos, Err: err}
}
