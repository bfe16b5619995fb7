package ring

// publishPos publishes our position with a release store that is not a full barrier
// (shm_amd64.s). p is 8-byte aligned (word64), so the store is single-copy atomic.
//
//go:noescape
func publishPos(p *uint64, v uint64)
