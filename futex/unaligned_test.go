package futex_test

import "unsafe"

// unalignedWord returns a pointer 2 bytes into buf: misaligned for a futex, which the
// kernel must reject with EINVAL. Only the kernel dereferences it.
func unalignedWord(buf *[8]uint32) *uint32 {
	return (*uint32)(unsafe.Add(unsafe.Pointer(buf), 2))
}
