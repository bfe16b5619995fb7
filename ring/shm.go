package ring

import (
	"sync/atomic"
	"unsafe"
)

// This file holds every unsafe cast and every atomic on shared memory in the package.
//
// The segment is a MAP_SHARED mapping that the Go garbage collector does not manage, so
// pointers into it are stable and never moved. Close never leaves a hole where it was:
// it replaces it in place by private zero pages (shm_linux.go), unmapped only when the
// owning Conn or Pipe is garbage, so a pointer here is valid for as long as it is held.

// word64 returns a pointer to the uint64 at b[off:off+8]. The slice expression bounds-
// checks off; off is a multiple of 8 and b starts page-aligned (mmap), so the pointer is
// 8-byte aligned as sync/atomic requires on every platform.
func word64(b []byte, off int) *uint64 {
	return (*uint64)(unsafe.Pointer(unsafe.SliceData(b[off : off+8 : off+8])))
}

// word32 returns a pointer to the uint32 at b[off:off+4]; off is a multiple of 4, so the
// pointer is 4-byte aligned as both sync/atomic and futex(2) require.
func word32(b []byte, off int) *uint32 {
	return (*uint32)(unsafe.Pointer(unsafe.SliceData(b[off : off+4 : off+4])))
}

// loadPos loads the consumer's released position. Acquire: pairs with the consumer's
// storePos or publishPos of head, so the space it covers is no longer read by the
// consumer once the producer sees the new value.
func loadPos(p *uint64) uint64 { return atomic.LoadUint64(p) }

// storePos (shm_amd64.go, shm_noasm.go) publishes the consumer's position (head), or
// the producer's tail hint after a record's header. Release: every read of the released
// records happens before a producer that loads the new value may overwrite them. It is
// a full barrier (on amd64 an XCHG), as the futex protocol needs when the peer's waiter
// makes no fence of its own (futex.FenceNone).
//
// publishPos (shm_amd64.go, shm_noasm.go) is the same release without the full barrier,
// used when the peer's waiter makes a membarrier(2) fence before it parks
// (futex.FenceProcess, futex.FenceSystem): the store-load ordering the Dekker argument
// needs then comes from that fence, paid once per park instead of once per publication.

// load64/store64/add64 and load32/store32 access the header's liveness words, which
// carry no data between the sides besides their own value.
func load64(p *uint64) uint64     { return atomic.LoadUint64(p) }
func store64(p *uint64, v uint64) { atomic.StoreUint64(p, v) }
func add64(p *uint64, d uint64)   { atomic.AddUint64(p, d) }
func load32(p *uint32) uint32     { return atomic.LoadUint32(p) }
func store32(p *uint32, v uint32) { atomic.StoreUint32(p, v) }

// recHeader is the header of a record as one uint64: length in the low half, kind in the
// high half. Headers are accessed as whole native uint64s (single-copy atomic, since
// every header is 8-aligned); on a little-endian machine that is the byte layout doc.go
// draws, and both processes of a segment share one machine's byte order.
func recHeader(length, kind uint32) uint64 { return uint64(length) | uint64(kind)<<32 }

// loadHeader loads the record header at data offset off (8-aligned, < len(data)).
// Acquire: pairs with publishHeader/storeHeader of the same slot; a non-zero value makes
// that record's payload, and every header and payload the producer wrote before it
// (staged records after it, the zeroed slot after the last of them), visible here.
func loadHeader(data []byte, off uint64) uint64 { return atomic.LoadUint64(word64(data, int(off))) }

// putHeader writes a header (or the zero that marks a slot unwritten) with a plain
// store. Only the producer calls it, only on slots the consumer does not read yet: the
// slot after the record being staged, and the headers of staged records after the first
// unpublished one. The release store of that first header (storeHeader, publishHeader)
// makes them visible, in order: under x86-TSO stores are never reordered with one
// another, and the Go compiler keeps plain stores before an atomic store or an assembly
// call.
func putHeader(data []byte, off, h uint64) { *word64(data, int(off)) = h }

// publishHeader publishes a record by writing its header with a release store that is
// not a full barrier (publishPos: on amd64 a plain MOV). Where the futex protocol needs
// the store-load barrier (a consumer that parks without a fence), the producer gets it
// from the sequentially consistent store of tail that follows (storePos).
func publishHeader(data []byte, off, h uint64) { publishPos(word64(data, int(off)), h) }

// putTail stores the producer's published position in tail with a plain store, after
// the header store that published the records, when the consumer fences before it
// parks (see Producer.Flush). The consumer never reads tail after attaching; it is the
// producer's record of its position, and otherwise the location of its full barrier.
func putTail(p *uint64, v uint64) { *p = v }

// unsafeBytes views a []uint64 as bytes; only tests use it, to build 8-aligned heap
// images of a segment for fuzzing. The byte view covers exactly the uint64s' memory.
func unsafeBytes(b []uint64) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(b))), len(b)*8)
}

// within reports whether sub lies inside mem (tests use it to prove bounds).
func within(sub, mem []byte) bool {
	s, m := uintptr(unsafe.Pointer(unsafe.SliceData(sub))), uintptr(unsafe.Pointer(unsafe.SliceData(mem)))
	return s >= m && s+uintptr(len(sub)) <= m+uintptr(len(mem))
}
