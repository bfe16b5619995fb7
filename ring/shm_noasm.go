//go:build !amd64

package ring

import "sync/atomic"

// publishPos publishes our position. Without an assembly release store for this
// architecture it is the sequentially consistent store, which is stronger than needed.
func publishPos(p *uint64, v uint64) { atomic.StoreUint64(p, v) }

// storePos stores v at p, sequentially consistent: a full barrier against a later load
// (see shm.go).
func storePos(p *uint64, v uint64) { atomic.StoreUint64(p, v) }
