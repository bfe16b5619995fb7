//go:build !linux

package ring

import "errors"

func createSegment(size0, size1 uint64) (*segment, int, error) {
	return nil, -1, errors.ErrUnsupported
}

func openSegment(fd int, maxSize uint64) (*segment, error) { return nil, errors.ErrUnsupported }

func (s *segment) unmap() error { s.mem = nil; return nil }

func closeFd(fd int) {}

func retireMapping(mem []byte) error { return nil }

func releaseMapping(mem []byte) {}
