//go:build !amd64

package ring

import "sync/atomic"

// publishPos publishes our position. Without an assembly release store for this
// architecture it is the sequentially consistent store, which is stronger than needed.
func publishPos(p *uint64, v uint64) { atomic.StoreUint64(p, v) }
