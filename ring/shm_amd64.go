package ring

import "sync/atomic"

// storePos stores v at p with an XCHG: a full barrier (see shm.go). It is a swap rather
// than atomic.StoreUint64, which compiles to the same XCHG, for the race detector's
// runtime: there a Store to memory outside the Go heap (the segment) is a plain MOV,
// no barrier, and the futex protocol lost wake-ups (the peer's park then ran to its
// timeout) in -race runs. A swap stays a locked instruction in both builds.
func storePos(p *uint64, v uint64) { atomic.SwapUint64(p, v) }

// publishPos publishes our position with a release store that is not a full barrier
// (shm_amd64.s). p is 8-byte aligned (word64), so the store is single-copy atomic.
//
//go:noescape
func publishPos(p *uint64, v uint64)
