package ring

import (
	"fmt"
	"runtime"
)

// segment is one mapped shared-memory segment.
type segment struct {
	mem []byte // the whole mapping
}

// check validates the geometry in the header against the mapped size.
func (s *segment) check(size uint64) error {
	m := s.mem
	if v := load64(word64(m, offMagic)); v != segMagic {
		return corrupt("segment magic", v, segMagic)
	}
	if v := load32(word32(m, offVersion)); v != layoutVersion {
		return corrupt("layout version", uint64(v), layoutVersion)
	}
	if v := load32(word32(m, offHeaderSize)); v != headerSize {
		return corrupt("header size", uint64(v), headerSize)
	}
	s0, s1 := load64(word64(m, offSize0)), load64(word64(m, offSize1))
	if !validRingSize(s0) {
		return corrupt("ring 0 size", s0, maxRingSize)
	}
	if !validRingSize(s1) {
		return corrupt("ring 1 size", s1, maxRingSize)
	}
	if v := load64(word64(m, offTotal)); v != headerSize+s0+s1 || v != size {
		return corrupt("segment total size", v, size)
	}
	return nil
}

// geometry returns the ring sizes; valid after create or check.
func (s *segment) geometry() (size0, size1 uint64) {
	return load64(word64(s.mem, offSize0)), load64(word64(s.mem, offSize1))
}

// ring returns ring i's control block and data area.
func (s *segment) ring(i int) (ctl, data []byte) {
	s0, s1 := s.geometry()
	if i == 0 {
		return s.mem[offRing0 : offRing0+ringCtlSize], s.mem[headerSize : headerSize+s0]
	}
	return s.mem[offRing1 : offRing1+ringCtlSize], s.mem[headerSize+s0 : headerSize+s0+s1]
}

// side returns side i's block.
func (s *segment) side(i int) []byte {
	off := offSide0 + i*(offSide1-offSide0)
	return s.mem[off : off+lineSize]
}

// positions reads and validates ring i's initial positions when attaching to a
// segment another process wrote. The peer may already have published records on a ring
// it produces (tail ahead of head); the consumer starts at head.
func (s *segment) positions(i int) (tail, head uint64, err error) {
	ctl, data := s.ring(i)
	tail, head = load64(word64(ctl, ctlTail)), load64(word64(ctl, ctlHead))
	if tail%recAlign != 0 || head%recAlign != 0 || tail-head > uint64(len(data)) {
		return 0, 0, corrupt(fmt.Sprintf("ring %d positions", i), tail-head, uint64(len(data)))
	}
	return tail, head, nil
}

// retire takes the shared memory away from this process without ever leaving an
// unmapped hole where it was (see retireMapping), and arranges for the placeholder to be
// unmapped once owner is garbage. Use after the connection is down.
func retire[T any](s *segment, owner *T) error {
	mem := s.mem
	if mem == nil {
		return nil
	}
	if err := retireMapping(mem); err != nil {
		return err
	}
	s.mem = nil
	runtime.AddCleanup(owner, releaseMapping, mem)
	return nil
}
