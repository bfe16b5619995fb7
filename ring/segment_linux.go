package ring

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// requiredSeals are the seals a segment must carry: its size can never change (so a
// mapping can never outgrow the file and SIGBUS), and nobody can add or remove seals.
const requiredSeals = unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_SEAL

// createSegment makes a sealed memfd of the geometry r, allocates its pages (so a
// shortage is an error now, not a SIGBUS later), maps it and writes the header. It
// returns the mapping and the fd, which the caller closes once it has sent it.
func createSegment(size0, size1 uint64) (*segment, int, error) {
	total := headerSize + size0 + size1
	fd, err := unix.MemfdCreate("cell-ring", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return nil, -1, fmt.Errorf("ring: memfd_create: %w", err)
	}
	fail := func(what string, err error) (*segment, int, error) {
		unix.Close(fd)
		return nil, -1, fmt.Errorf("ring: %s (%d bytes): %w", what, total, err)
	}
	if err := unix.Ftruncate(fd, int64(total)); err != nil {
		return fail("ftruncate", err)
	}
	if err := unix.Fallocate(fd, 0, 0, int64(total)); err != nil {
		return fail("fallocate", err)
	}
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, requiredSeals); err != nil {
		return fail("seal", err)
	}
	s, err := mapSegment(fd, total)
	if err != nil {
		return fail("mmap", err)
	}
	m := s.mem
	store64(word64(m, offMagic), segMagic)
	store32(word32(m, offVersion), layoutVersion)
	store32(word32(m, offHeaderSize), headerSize)
	store64(word64(m, offSize0), size0)
	store64(word64(m, offSize1), size1)
	store64(word64(m, offTotal), total)
	return s, fd, nil
}

func mapSegment(fd int, total uint64) (*segment, error) {
	mem, err := unix.Mmap(fd, 0, int(total), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		return nil, err
	}
	return &segment{mem: mem}, nil
}

// openSegment checks a received fd (seals, size) before mapping it, then checks the
// header it maps. It does not close fd.
func openSegment(fd int, maxSize uint64) (*segment, error) {
	seals, err := unix.FcntlInt(uintptr(fd), unix.F_GET_SEALS, 0)
	if err != nil {
		return nil, fmt.Errorf("ring: received fd is not a sealable memfd: %w", err)
	}
	if seals&requiredSeals != requiredSeals {
		return nil, corrupt("segment seals", uint64(seals), requiredSeals)
	}
	if seals&(unix.F_SEAL_WRITE|unix.F_SEAL_FUTURE_WRITE) != 0 {
		return nil, corrupt("segment write seal", uint64(seals), requiredSeals)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, fmt.Errorf("ring: fstat segment: %w", err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return nil, corrupt("segment file mode", uint64(st.Mode), unix.S_IFREG)
	}
	size := uint64(st.Size)
	if st.Size < headerSize+2*minRingSize || size > maxSize {
		return nil, corrupt("segment size", size, maxSize)
	}
	s, err := mapSegment(fd, size)
	if err != nil {
		return nil, fmt.Errorf("ring: mmap segment: %w", err)
	}
	if err := s.check(size); err != nil {
		s.unmap()
		return nil, err
	}
	return s, nil
}

func (s *segment) unmap() error {
	if s.mem == nil {
		return nil
	}
	err := unix.Munmap(s.mem)
	s.mem = nil
	return err
}

func closeFd(fd int) { unix.Close(fd) }
