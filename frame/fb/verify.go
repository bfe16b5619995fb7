package fb

import "encoding/binary"

// MaxBufferSize is the largest buffer a Verifier accepts: FlatBuffers offsets are
// 32-bit and signed offsets must not wrap.
const MaxBufferSize = 1<<31 - 1

// Default limits, the same as the C++ verifier's.
const (
	DefaultMaxDepth  = 64
	DefaultMaxTables = 1000000
)

// Limits bound the work a Verifier does. The zero value means the defaults.
type Limits struct {
	// MaxDepth is the deepest nesting of tables (the root is depth 1); 0 means
	// DefaultMaxDepth. It bounds the verifier's (and a reader's) recursion; offsets
	// to tables only point forward, so they cannot form a cycle.
	MaxDepth int
	// MaxTables is the most tables one buffer may reach, counting a shared table each
	// time it is reached; 0 means DefaultMaxTables. It bounds the time spent on a
	// small buffer whose offsets form a wide DAG.
	MaxTables int
}

// Verifier checks a buffer against the generated verifier of its root table. It is a
// small value meant to live on the caller's stack: verification allocates nothing
// unless it fails. A Verifier is used by one goroutine at a time.
//
// The methods are the runtime of cellgen's generated Verify functions; they are
// exported for that code and are not meant to be called by hand.
type Verifier struct {
	buf       []byte
	depth     int
	maxDepth  int
	tables    int
	maxTables int
}

// Table is a table whose header and vtable have been checked.
type Table struct {
	pos   uint32 // position of the table's soffset
	vt    uint32 // position of the vtable
	vtLen uint32 // vtable length in bytes, >= 4, even
	size  uint32 // the table's inline size in bytes, >= 4
}

// Pos returns the table's position in the buffer.
func (t *Table) Pos() uint32 { return t.pos }

// Reset prepares v to verify buf with the limits lim.
func (v *Verifier) Reset(buf []byte, lim Limits) {
	v.buf = buf
	v.depth, v.tables = 0, 0
	v.maxDepth, v.maxTables = lim.MaxDepth, lim.MaxTables
	if v.maxDepth <= 0 {
		v.maxDepth = DefaultMaxDepth
	}
	if v.maxTables <= 0 {
		v.maxTables = DefaultMaxTables
	}
}

// Root checks the buffer's size and, when ident is not "", its file identifier, and
// returns the position of the root table.
func (v *Verifier) Root(typ, ident string) (uint32, error) {
	n := len(v.buf)
	if n < 4 || n > MaxBufferSize || (ident != "" && n < 8) {
		return 0, fail(typ, "", -1, 0, ErrBufferSize)
	}
	if ident != "" && string(v.buf[4:8]) != ident {
		return 0, fail(typ, "", -1, 4, ErrIdentifier)
	}
	return binary.LittleEndian.Uint32(v.buf), nil
}

// EnterTable checks the table at pos: its soffset, its vtable and its inline size,
// all inside the buffer, and counts it against the depth and table limits. Every
// successful EnterTable is paired with one Leave.
func (v *Verifier) EnterTable(pos uint32, typ string) (Table, error) {
	v.depth++
	v.tables++
	if v.depth > v.maxDepth {
		return Table{}, fail(typ, "", -1, uint64(pos), ErrDepth)
	}
	if v.tables > v.maxTables {
		return Table{}, fail(typ, "", -1, uint64(pos), ErrTooManyTables)
	}
	buf := v.buf
	n := uint64(len(buf))
	if uint64(pos)+4 > n {
		return Table{}, fail(typ, "", -1, uint64(pos), ErrOutOfBounds)
	}
	// The runtime computes the vtable as int32(pos) - soffset; with pos < 2^31 the
	// result is exact whenever it lands inside the buffer.
	vt := int64(pos) - int64(int32(binary.LittleEndian.Uint32(buf[pos:])))
	if vt < 0 || uint64(vt)+4 > n {
		return Table{}, fail(typ, "", -1, uint64(pos), ErrVTable)
	}
	vtLen := uint32(binary.LittleEndian.Uint16(buf[vt:]))
	size := uint32(binary.LittleEndian.Uint16(buf[vt+2:]))
	if vtLen < 4 || vtLen&1 != 0 || uint64(vt)+uint64(vtLen) > n || size < 4 {
		return Table{}, fail(typ, "", -1, uint64(vt), ErrVTable)
	}
	if uint64(pos)+uint64(size) > n {
		return Table{}, fail(typ, "", -1, uint64(pos), ErrOutOfBounds)
	}
	return Table{pos: pos, vt: uint32(vt), vtLen: vtLen, size: size}, nil
}

// Leave ends the table entered last.
func (v *Verifier) Leave() { v.depth-- }

// field returns the offset of the field at vtable slot within the table, or 0 when
// the field is absent, exactly as flatbuffers.Table.Offset does.
func (v *Verifier) field(t *Table, slot uint16) uint32 {
	if uint32(slot)+2 > t.vtLen { // the whole 2-byte entry inside the vtable (slot may be odd)
		return 0
	}
	return uint32(binary.LittleEndian.Uint16(v.buf[t.vt+uint32(slot):]))
}

// Scalar checks that the field at slot, when present, lies inside its table with
// size bytes: a scalar, an enum, or a struct stored inline.
func (v *Verifier) Scalar(t *Table, slot uint16, size uint32, typ, name string) error {
	o := v.field(t, slot)
	if o != 0 && o+size > t.size {
		return fail(typ, name, -1, uint64(t.pos)+uint64(o), ErrOutOfBounds)
	}
	return nil
}

// Uint8 returns the byte field at slot (a union's type), or 0 when absent. The field
// must have been checked with Scalar.
func (v *Verifier) Uint8(t *Table, slot uint16) uint8 {
	if o := v.field(t, slot); o != 0 {
		return v.buf[t.pos+o]
	}
	return 0
}

// Offset follows the offset field at slot. It returns the position it points to,
// which has at least 4 bytes inside the buffer, and ok == false when the field is
// absent (an error when required).
func (v *Verifier) Offset(t *Table, slot uint16, required bool, typ, name string) (target uint32, ok bool, err error) {
	o := v.field(t, slot)
	if o == 0 {
		if required {
			return 0, false, fail(typ, name, -1, uint64(t.pos), ErrRequired)
		}
		return 0, false, nil
	}
	if o+4 > t.size {
		return 0, false, fail(typ, name, -1, uint64(t.pos)+uint64(o), ErrOutOfBounds)
	}
	at := t.pos + o
	tg := uint64(at) + uint64(binary.LittleEndian.Uint32(v.buf[at:]))
	if tg+4 > uint64(len(v.buf)) {
		return 0, false, fail(typ, name, -1, uint64(at), ErrOutOfBounds)
	}
	return uint32(tg), true, nil
}

// String checks the string field at slot: in bounds and NUL-terminated.
func (v *Verifier) String(t *Table, slot uint16, required bool, typ, name string) error {
	p, ok, err := v.Offset(t, slot, required, typ, name)
	if !ok {
		return err
	}
	return v.StringAt(p, typ, name, -1)
}

// StringAt checks the string whose length prefix is at pos, which Offset or Elem
// returned (so 4 bytes at pos are in bounds).
func (v *Verifier) StringAt(pos uint32, typ, name string, index int) error {
	end := uint64(pos) + 4 + uint64(binary.LittleEndian.Uint32(v.buf[pos:]))
	if end >= uint64(len(v.buf)) {
		return fail(typ, name, index, uint64(pos), ErrOutOfBounds)
	}
	if v.buf[end] != 0 {
		return fail(typ, name, index, end, ErrUnterminated)
	}
	return nil
}

// Vector checks the vector field at slot whose elements are elemSize bytes each:
// the length prefix and every element lie inside the buffer. It returns the position
// of the first element and the length, both zero when the field is absent.
func (v *Verifier) Vector(t *Table, slot uint16, elemSize uint32, required bool, typ, name string) (start, n uint32, err error) {
	p, ok, err := v.Offset(t, slot, required, typ, name)
	if !ok {
		return 0, 0, err
	}
	n = binary.LittleEndian.Uint32(v.buf[p:])
	if uint64(p)+4+uint64(n)*uint64(elemSize) > uint64(len(v.buf)) {
		return 0, 0, fail(typ, name, -1, uint64(p), ErrOutOfBounds)
	}
	return p + 4, n, nil
}

// Elem follows the offset stored in element i of a vector of offsets (strings or
// tables) that Vector returned, and returns the position it points to, which has at
// least 4 bytes inside the buffer.
func (v *Verifier) Elem(start, i uint32, typ, name string) (uint32, error) {
	at := start + 4*i
	tg := uint64(at) + uint64(binary.LittleEndian.Uint32(v.buf[at:]))
	if tg+4 > uint64(len(v.buf)) {
		return 0, fail(typ, name, int(i), uint64(at), ErrOutOfBounds)
	}
	return uint32(tg), nil
}

// Strings checks every element of a vector of strings that Vector returned.
func (v *Verifier) Strings(start, n uint32, typ, name string) error {
	for i := uint32(0); i < n; i++ {
		p, err := v.Elem(start, i, typ, name)
		if err != nil {
			return err
		}
		if err := v.StringAt(p, typ, name, int(i)); err != nil {
			return err
		}
	}
	return nil
}

// Union checks that a union's type (read with Uint8 from its companion field) and
// its value offset agree: both present or both absent. It returns the position of
// the value table when present.
func (v *Verifier) Union(t *Table, slot uint16, utype uint8, typ, name string) (uint32, bool, error) {
	p, ok, err := v.Offset(t, slot, false, typ, name)
	if err != nil {
		return 0, false, err
	}
	if ok != (utype != 0) {
		return 0, false, fail(typ, name, -1, uint64(t.pos), ErrUnion)
	}
	return p, ok, nil
}

// BeginNested starts checking the [ubyte] field at slot declared
// (nested_flatbuffer: "X"): a FlatBuffer of its own, stored as the vector's bytes.
// When the field is present it checks the vector, switches v to the nested buffer
// and returns the nested root's position, for X's generated verifier; EndNested(outer)
// switches back. Nested tables count against the same depth and table limits. A
// present nested buffer must be at least 4 bytes (an empty one cannot be read).
func (v *Verifier) BeginNested(t *Table, slot uint16, required bool, typ, name string) (root uint32, outer []byte, ok bool, err error) {
	start, n, err := v.Vector(t, slot, 1, required, typ, name)
	if err != nil {
		return 0, nil, false, err
	}
	if v.field(t, slot) == 0 {
		return 0, nil, false, nil
	}
	if n < 4 {
		return 0, nil, false, fail(typ, name, -1, uint64(start), ErrBufferSize)
	}
	outer = v.buf
	v.buf = outer[start : start+n : start+n]
	return binary.LittleEndian.Uint32(v.buf), outer, true, nil
}

// EndNested returns v to the buffer that held the nested one.
func (v *Verifier) EndNested(outer []byte) { v.buf = outer }

// The OK methods below are the fast paths of generated verifiers: each makes the
// same checks as its counterpart above (ScalarOK as Scalar, StringOK as String,
// VectorOK as Vector, StringsOK as Strings) and only reports whether they pass, so
// that it stays small enough to inline and takes no names. When one reports false,
// the generated code calls the counterpart to build the error.

// EnterTableOK is the fast form of EnterTable: when the table at pos passes its
// checks it counts it (pair it with Leave) and returns it with true; otherwise it
// counts nothing and returns false, and the caller calls EnterTable for the error.
func (v *Verifier) EnterTableOK(pos uint32) (Table, bool) {
	if v.depth >= v.maxDepth || v.tables >= v.maxTables {
		return Table{}, false
	}
	buf := v.buf
	n := uint64(len(buf))
	if uint64(pos)+4 > n {
		return Table{}, false
	}
	vt := int64(pos) - int64(int32(binary.LittleEndian.Uint32(buf[pos:])))
	if vt < 0 || uint64(vt)+4 > n {
		return Table{}, false
	}
	vtLen := uint32(binary.LittleEndian.Uint16(buf[vt:]))
	size := uint32(binary.LittleEndian.Uint16(buf[vt+2:]))
	if vtLen < 4 || vtLen&1 != 0 || uint64(vt)+uint64(vtLen) > n || size < 4 || uint64(pos)+uint64(size) > n {
		return Table{}, false
	}
	v.depth++
	v.tables++
	return Table{pos: pos, vt: uint32(vt), vtLen: vtLen, size: size}, true
}

// ScalarOK reports whether Scalar(t, slot, size, ...) passes.
func (v *Verifier) ScalarOK(t *Table, slot uint16, size uint32) bool {
	if uint32(slot)+2 > t.vtLen { // the whole 2-byte entry inside the vtable (slot may be odd)
		return true
	}
	o := uint32(binary.LittleEndian.Uint16(v.buf[t.vt+uint32(slot):]))
	return o == 0 || o+size <= t.size
}

// StringOK reports whether String(t, slot, required, ...) passes.
func (v *Verifier) StringOK(t *Table, slot uint16, required bool) bool {
	p, ok := v.offsetOK(t, slot)
	if !ok || p == 0 {
		return ok && !required
	}
	buf := v.buf
	end := uint64(p) + 4 + uint64(binary.LittleEndian.Uint32(buf[p:]))
	return end < uint64(len(buf)) && buf[end] == 0
}

// offsetOK follows the offset field at slot as Offset does: the target with at
// least 4 bytes inside the buffer and true, or 0 and true when the field is
// absent, or false (and any position) when Offset fails. It is small enough to
// inline.
func (v *Verifier) offsetOK(t *Table, slot uint16) (uint32, bool) {
	if uint32(slot)+2 > t.vtLen { // the whole 2-byte entry inside the vtable (slot may be odd)
		return 0, true
	}
	buf := v.buf
	o := uint32(binary.LittleEndian.Uint16(buf[t.vt+uint32(slot):]))
	if o == 0 {
		return 0, true
	}
	if o+4 > t.size {
		return 0, false
	}
	tg := uint64(t.pos+o) + uint64(binary.LittleEndian.Uint32(buf[t.pos+o:]))
	return uint32(tg), tg+4 <= uint64(len(buf))
}

// VectorOK reports whether Vector(t, slot, elemSize, required, ...) passes, and
// returns what it returns.
func (v *Verifier) VectorOK(t *Table, slot uint16, elemSize uint32, required bool) (start, n uint32, ok bool) {
	p, ok := v.offsetOK(t, slot)
	if !ok || p == 0 {
		return 0, 0, ok && !required
	}
	n = binary.LittleEndian.Uint32(v.buf[p:])
	if uint64(p)+4+uint64(n)*uint64(elemSize) > uint64(len(v.buf)) {
		return 0, 0, false
	}
	return p + 4, n, true
}

// StringsOK reports whether Strings(start, n, ...) passes.
func (v *Verifier) StringsOK(start, n uint32) bool {
	buf := v.buf
	size := uint64(len(buf))
	for i := uint32(0); i < n; i++ {
		at := start + 4*i
		tg := uint64(at) + uint64(binary.LittleEndian.Uint32(buf[at:]))
		if tg+4 > size {
			return false
		}
		end := tg + 4 + uint64(binary.LittleEndian.Uint32(buf[tg:]))
		if end >= size || buf[end] != 0 {
			return false
		}
	}
	return true
}
