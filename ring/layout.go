package ring

// Segment layout. All offsets are in bytes from the start of the segment; every
// multi-byte field is little-endian and naturally aligned. doc.go draws the picture and
// layout_test.go pins every value.
const (
	segMagic      = 0x676e69726c6c6563 // "cellring" read as a little-endian uint64
	layoutVersion = 2                  // 2: records are published by their own header, not by a tail word
	headerSize    = 4096               // the header page; ring data starts after it
	lineSize      = 128                // two 64-byte lines: adjacent-line prefetch shares pairs

	// Geometry line, written once by the creator before the segment is sent.
	offMagic      = 0  // uint64 segMagic
	offVersion    = 8  // uint32 layoutVersion
	offHeaderSize = 12 // uint32 headerSize
	offSize0      = 16 // uint64 data bytes of ring 0 (client -> server)
	offSize1      = 24 // uint64 data bytes of ring 1 (server -> client)
	offTotal      = 32 // uint64 segment bytes = headerSize + size0 + size1

	// Side blocks, one line each: side 0 is the creator (client), side 1 the acceptor.
	offSide0      = 128
	offSide1      = 256
	sidePid       = 0  // uint64 pid of the side's process
	sideStart     = 8  // uint64 its start time (clock ticks since boot, internal/proc)
	sideHeartbeat = 16 // uint64 bumped by the side every heartbeat interval
	sideState     = 24 // uint32 sideEmpty, sideAttached or sideClosed
	sideFlags     = 28 // uint32 what the side does (sideFenced); written before sideState

	// Ring control blocks, four lines each.
	offRing0       = 512
	offRing1       = 1024
	ringCtlSize    = 512
	ctlTail        = 0    // producer line: uint64 published position, a hint for a spinning consumer
	ctlDataSeq     = 8    // producer line: uint32 futex word the producer bumps
	ctlHead        = 128  // consumer line: uint64 released position
	ctlSpaceSeq    = 136  // consumer line: uint32 futex word the consumer bumps
	ctlConsSleeps  = 256  // uint32 set while the consumer parks waiting for data
	ctlProdSleeps  = 384  // uint32 set while the producer parks waiting for space
	recHeaderSize  = 8    // record header: uint32 length, uint32 kind; 0 while unwritten
	recAlign       = 8    // records start on 8-byte boundaries
	kindData       = 0x44 // 'D': a record of length bytes follows the header
	kindPad        = 0x50 // 'P': skip to the end of the data area; length must be 0
	sideEmpty      = 0
	sideAttached   = 1
	sideClosed     = 2
	sideFenced     = 1 // sideFlags: waiters fence (membarrier) before parking; see shm.go
	minRingSize    = 4096
	maxRingSize    = 1 << 30
	maxSegmentSize = headerSize + 2*maxRingSize
)

// align8 rounds n up to a multiple of recAlign.
func align8(n uint64) uint64 { return (n + recAlign - 1) &^ (recAlign - 1) }

// validRingSize reports whether n is a usable data-area size.
func validRingSize(n uint64) bool {
	return n >= minRingSize && n <= maxRingSize && n&(n-1) == 0
}
