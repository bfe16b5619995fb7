// Package frame is the frame format shared by cell's shared-memory and network
// paths: a fixed 32-byte little-endian header, an optional 32-byte trace block, and
// a payload that is usually a FlatBuffers table (see package frame/fb for building
// and verifying those). docs/PROTOCOL.md is the wire specification; this package is
// its reference implementation.
//
// # Layout
//
//	offset size field
//	     0    4 length    total frame length, header included (uint32)
//	     4    1 version   Version (1)
//	     5    1 kind      Kind
//	     6    2 flags     Flags; undefined bits must be zero
//	     8    4 method    method id
//	    12    4 aux       kind-specific (error code)
//	    16    8 call id
//	    24    8 deadline  Unix ns, with FlagDeadline
//	    32   32 trace     only with FlagTrace: trace id 16, span id 8, flags 1, zero 7
//
// # Invariants
//
// Encoding appends (AppendHeader) or writes into a caller's buffer (PutHeader) and
// never allocates beyond growing dst. ParseInto never reads past the length a header
// declares, rejects a declared length above the configured maximum as soon as the
// first 4 bytes are present (before any payload is buffered), and tells "need more
// bytes" (ok == false, err == nil) from "malformed" (err wraps a sentinel). A parse
// error means the byte stream cannot be resynchronised: close the connection.
// Everything here works on values and caller-owned slices: any goroutine may call
// any function, and concurrent calls share nothing.
package frame
