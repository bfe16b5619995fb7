package ring

// Hooks for the black-box tests in package ring_test.

// NewPipeAt is NewPipe with both positions starting at start (rounded down to 8), so
// tests can run across the 2^64 wrap.
func NewPipeAt(cfg Config, start uint64) (*Pipe, error) { return newPipe(cfg, start) }

// SegmentOf returns the mapped segment of c, for tests that play a hostile peer.
func SegmentOf(c *Conn) []byte { return c.seg.mem }

// Layout offsets for the hostile-peer tests.
const (
	HeaderSize    = headerSize
	LayoutVersion = layoutVersion
	OffRing0      = offRing0
	OffRing1      = offRing1
	OffSide0      = offSide0
	OffSide1      = offSide1
	CtlTail       = ctlTail
	CtlHead       = ctlHead
	CtlDataSeq    = ctlDataSeq
	CtlSpaceSeq   = ctlSpaceSeq
	CtlCons       = ctlConsSleeps
	CtlProd       = ctlProdSleeps
	KindData      = kindData
	KindPad       = kindPad
)

// SetSegmentHook makes Connect call f on each new segment before sending it.
func SetSegmentHook(f func(mem []byte)) { testHookSegment = f }

// Word32 returns the 4-byte word at off in c's segment, for benchmarks that need a plain
// shared word between the same two processes (the floors).
func Word32(c *Conn, off int) *uint32 { return word32(c.seg.mem, off) }

// PublishPos is the package's release store without a full barrier (shm_amd64.s), for
// the stream floor benchmark.
func PublishPos(p *uint64, v uint64) { publishPos(p, v) }
