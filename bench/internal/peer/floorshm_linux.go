package peer

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// This file holds every unsafe cast and raw atomic of the floors.
//
// word returns slot i's 32-bit word in mem. Valid because mem is a MAP_SHARED
// mapping of (slots+1)*lineBytes bytes (checked by the callers through len(mem)),
// lines are 128-byte aligned from a page-aligned base, so the *uint32 is aligned,
// and the mapping outlives every use (it is unmapped only after the loops stop).
func word(mem []byte, line int) *uint32 {
	return (*uint32)(unsafe.Pointer(&mem[line*lineBytes]))
}

func newSharedFile(size int) (*os.File, error) {
	fd, err := unix.MemfdCreate("cellbench-floor", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("peer: memfd_create: %w", err)
	}
	f := os.NewFile(uintptr(fd), "cellbench-floor")
	if err := unix.Fallocate(fd, 0, 0, int64(size)); err != nil {
		f.Close()
		return nil, fmt.Errorf("peer: fallocate %d: %w", size, err)
	}
	return f, nil
}

func mapShared(f *os.File, lines int) ([]byte, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	need := lines * lineBytes
	if st.Size() < int64(need) {
		return nil, fmt.Errorf("peer: shared file has %d bytes, need %d", st.Size(), need)
	}
	mem, err := unix.Mmap(int(f.Fd()), 0, need, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("peer: mmap: %w", err)
	}
	return mem, nil
}

// The futex ops from linux/futex.h, without FUTEX_PRIVATE_FLAG (x/sys/unix does
// not export them).
const (
	futexWaitOp = 0
	futexWakeOp = 1
)

// futexWait sleeps while *w == val, at most d. The op is FUTEX_WAIT without
// FUTEX_PRIVATE_FLAG: the word is shared between processes. EAGAIN (the word
// already changed), ETIMEDOUT and EINTR are ordinary: the caller re-reads the word.
func futexWait(w *uint32, val uint32, d time.Duration) {
	ts := unix.NsecToTimespec(int64(d))
	unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(w)), futexWaitOp, uintptr(val),
		uintptr(unsafe.Pointer(&ts)), 0, 0)
}

// futexWake wakes one waiter on w (shared op).
func futexWake(w *uint32) {
	unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(w)), futexWakeOp, 1, 0, 0, 0)
}

// serveShm answers every slot. The spin variant polls all slots from one goroutine
// (with one slot, the plain spin loop); the futex variant parks one goroutine per
// slot. The atomic store of the reply publishes it to the client's load.
func serveShm(ctx context.Context, ep Endpoint, ready func(string), park bool) error {
	if err := checkShared(ep); err != nil {
		return err
	}
	mem, err := mapShared(ep.Shared, ep.Slots+1)
	if err != nil {
		return err
	}
	defer unix.Munmap(mem)
	var stop atomic.Bool
	stopped := make(chan struct{})
	go func() {
		<-ctx.Done()
		stop.Store(true)
		if park { // wake every parked server goroutine so it sees stop
			for i := 0; i < ep.Slots; i++ {
				futexWake(word(mem, i+1))
			}
		}
		close(stopped)
	}()
	defer func() { <-stopped }() // mem stays mapped until the waker is done with it
	ready("shm")
	if !park {
		last := make([]uint32, ep.Slots)
		for n := 0; ; n++ {
			for i := range last {
				w := word(mem, i+1)
				if v := atomic.LoadUint32(w); v&1 == 1 && v != last[i] {
					atomic.StoreUint32(w, v+1)
					last[i] = v + 1
				}
			}
			if n&0xfff == 0 && stop.Load() {
				return nil
			}
		}
	}
	var wg sync.WaitGroup
	for i := 0; i < ep.Slots; i++ {
		wg.Add(1)
		go func(w *uint32) {
			defer wg.Done()
			for !stop.Load() {
				v := atomic.LoadUint32(w)
				if v&1 == 0 {
					// A long timeout, so an idle floor costs next to nothing; ctx's end
					// wakes the waiter (a wake lost to the race with the check of stop
					// costs at most this timeout).
					futexWait(w, v, 10*time.Second)
					continue
				}
				atomic.StoreUint32(w, v+1)
				futexWake(w)
			}
		}(word(mem, i+1))
	}
	wg.Wait()
	return nil
}

type shmConn struct {
	mem  []byte
	w    *uint32
	park bool
}

func dialShm(ep Endpoint, park bool) (*shmConn, error) {
	if err := checkShared(ep); err != nil {
		return nil, err
	}
	mem, err := mapShared(ep.Shared, ep.Slots+1)
	if err != nil {
		return nil, err
	}
	// The allocator word hands each connection, in any process, its own slot.
	slot := int(atomic.AddUint32(word(mem, 0), 1)) - 1
	if slot >= ep.Slots {
		unix.Munmap(mem)
		return nil, fmt.Errorf("peer: all %d floor slots taken", ep.Slots)
	}
	return &shmConn{mem: mem, w: word(mem, slot+1), park: park}, nil
}

// Call stores the next odd value (the request; the atomic store publishes it to
// the server's load) and waits for the server's even reply.
func (c *shmConn) Call() error {
	v := atomic.LoadUint32(c.w)
	if v&1 == 1 {
		return fmt.Errorf("peer: floor word %d is mid-call", v)
	}
	req, want := v+1, v+2
	atomic.StoreUint32(c.w, req)
	if c.park {
		futexWake(c.w)
		deadline := time.Now().Add(10 * time.Second)
		for atomic.LoadUint32(c.w) != want {
			if time.Now().After(deadline) {
				return ErrNoReply
			}
			futexWait(c.w, req, time.Second)
		}
		return nil
	}
	var since time.Time // read the clock only once the spin is long
	for n := 1; atomic.LoadUint32(c.w) != want; n++ {
		if n&(1<<20-1) == 0 {
			if since.IsZero() {
				since = time.Now()
			} else if time.Since(since) > 10*time.Second {
				return ErrNoReply
			}
		}
	}
	return nil
}

func (c *shmConn) Close() error { return unix.Munmap(c.mem) }

// childAttr makes the kernel kill a server child when its parent dies.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
