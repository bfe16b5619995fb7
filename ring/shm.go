package ring

import (
	"encoding/binary"
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

// loadPos loads a peer's position. Acquire: pairs with storePos by the peer, so the
// records (or the freed space) it covers are visible after the load.
func loadPos(p *uint64) uint64 { return atomic.LoadUint64(p) }

// storePos publishes our position. Release: every record header and payload byte (or
// every read of released space) before it is visible to a peer that loads the new value.
// It is sequentially consistent (on amd64 an XCHG, a full barrier), as the futex
// protocol needs when the peer's waiter makes no fence of its own (futex.FenceNone).
//
// publishPos (shm_amd64.go, shm_noasm.go) is the same release without the full barrier,
// used when the peer's waiter makes a membarrier(2) fence before it parks
// (futex.FenceProcess, futex.FenceSystem): the store-load ordering the Dekker argument
// needs then comes from that fence, paid once per park instead of once per publication.
func storePos(p *uint64, v uint64) { atomic.StoreUint64(p, v) }

// load64/store64/add64 and load32/store32 access the header's liveness words, which
// carry no data between the sides besides their own value.
func load64(p *uint64) uint64       { return atomic.LoadUint64(p) }
func store64(p *uint64, v uint64)   { atomic.StoreUint64(p, v) }
func add64(p *uint64, d uint64)     { atomic.AddUint64(p, d) }
func load32(p *uint32) uint32       { return atomic.LoadUint32(p) }
func store32(p *uint32, v uint32)   { atomic.StoreUint32(p, v) }
func readRecHeader(b []byte) uint64 { return binary.LittleEndian.Uint64(b) }

// writeRecHeader writes a record header with plain stores; the storePos that follows
// publishes it.
func writeRecHeader(b []byte, length, kind uint32) {
	binary.LittleEndian.PutUint64(b, uint64(length)|uint64(kind)<<32)
}

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
