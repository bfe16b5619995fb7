//go:build linux

package main

import (
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// floor is one shared page holding the two words of the baseline ping-pongs. It is the
// only unsafe code in the demo.
type floor struct {
	file *os.File
	mem  []byte
	ping *uint32 // written by this process, waited on by the peer
	pong *uint32 // written by the peer; on its own 128-byte line
}

func newFloor() (*floor, error) {
	fd, err := unix.MemfdCreate("celldemo-floor", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(fd), "floor")
	if err := unix.Ftruncate(fd, 4096); err != nil {
		f.Close()
		return nil, err
	}
	return openFloor(f)
}

func openFloor(f *os.File) (*floor, error) {
	mem, err := unix.Mmap(int(f.Fd()), 0, 4096, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		f.Close()
		return nil, err
	}
	// mem is a page-aligned 4096-byte mapping: offsets 0 and 128 are aligned uint32s.
	return &floor{file: f, mem: mem,
		ping: (*uint32)(unsafe.Pointer(&mem[0])),
		pong: (*uint32)(unsafe.Pointer(&mem[128]))}, nil
}

func (f *floor) close() {
	unix.Munmap(f.mem)
	f.file.Close()
}
