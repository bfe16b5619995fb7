// Package fb holds cell's FlatBuffers helpers: the runtime that cellgen's generated
// verifiers call, building a message directly into a caller's slot, and reading one
// in place. It is a sub-package of frame so that frame itself imports only the
// standard library; fb imports the FlatBuffers Go runtime.
//
// # Verification
//
// The FlatBuffers Go runtime trusts its input: a malformed buffer makes accessors
// panic or read garbage. cellgen generates, per table X, VerifyX(buf) which checks,
// before any accessor runs:
//
//   - the buffer is between 4 bytes and MaxBufferSize, and carries the schema's
//     file_identifier when the schema declares one and X is its root type;
//   - every table's soffset leads to a vtable inside the buffer whose length is even
//     and at least 4, and whose declared table size lies inside the buffer;
//   - every present field lies inside its table (scalars, enums and inline structs by
//     their size; offsets by 4 bytes), and every offset lands inside the buffer;
//   - every vector's length times its element size fits in the buffer; every string
//     fits and is followed by a NUL byte;
//   - a union's type and value are both present or both absent, and the value is
//     verified as the member table the type names (an unknown member type, which a
//     newer schema may add, is accepted and left unread, as in C++);
//   - a [ubyte] field declared (nested_flatbuffer: "X") holds, when present, a
//     well-formed X of at least 4 bytes, verified as a buffer of its own under the
//     same depth and table limits;
//   - required fields are present;
//   - tables nest at most Limits.MaxDepth deep and at most Limits.MaxTables tables are
//     reached (defaults 64 and 1,000,000, as in C++).
//
// Positions are checked with 64-bit arithmetic, and the checks mirror what the Go
// runtime computes (flatbuffers.Table.Offset, Indirect, Vector, String), so a buffer
// that passes can be read through every generated accessor without a panic: the
// fuzz targets in package cell/fuzz prove it. Alignment is not checked: Go reads
// unaligned values safely. Enum values are not checked against the declared ones
// (a newer schema may add some); generated enums have a Known method for callers
// that care.
//
// A failure is an *Error naming the table type, the field, the vector index and the
// byte position, wrapping one of the sentinel errors. Success allocates nothing.
//
// # Building in place
//
// SlotBuilder builds a message straight into memory the caller owns, a ring record
// for example, clipped so that the Builder cannot write past it; if the message does
// not fit, the Builder grows into its own memory and Finish says so with
// ErrSlotOverflow, and the caller copies into a larger slot (or sends from the
// Builder's memory). RootPos and the generated ReadX functions read a verified
// buffer in place without copying or allocating.
//
// # Building in one step
//
// cellgen's generated XBuild functions write a table, its strings and its vectors
// of strings in one region of a flatbuffers.Builder, reserved with Reserve, instead
// of one Prep, Place and Slot call per field: several times faster for small
// messages, and the result is an ordinary FlatBuffer that mixes with tables built by
// flatc's API in the same Builder. Each such table has a vtable of its own.
//
// # Concurrency
//
// A Verifier and a SlotBuilder are used by one goroutine at a time. Verification only
// reads the buffer; a buffer in shared memory that the peer may still change must be
// copied first, or read under recover, since bytes verified a moment ago can change.
package fb
