package ring

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// retireMapping replaces the segment's shared mapping, in place and atomically, by
// private anonymous zero pages of the same size. The shared pages are released at once
// (the memfd is freed when the peer lets go too), while a call that raced with Close
// and still reads or writes through an old pointer touches harmless zeros instead of an
// unmapped address. The placeholder is unmapped when its owner is garbage collected.
// The cast passes the mapping's own start address back to mmap with MAP_FIXED.
func retireMapping(mem []byte) error {
	_, err := unix.MmapPtr(-1, 0, unsafe.Pointer(unsafe.SliceData(mem)), uintptr(len(mem)),
		unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_FIXED)
	return err
}

// releaseMapping unmaps what retireMapping left. unix.Munmap finds the range by the
// slice unix.Mmap returned, which still describes it.
func releaseMapping(mem []byte) { unix.Munmap(mem) }
