#include "textflag.h"

// func publishPos(p *uint64, v uint64)
//
// A release store of a ring position: one plain MOVQ. Under x86-TSO a store is never
// reordered with earlier loads or stores, so every record byte written (or read) before
// the call is visible to a peer that loads v; and an assembly call is opaque to the Go
// compiler, which therefore keeps every earlier memory access before it. Unlike
// sync/atomic's store (XCHG) it does not drain the store buffer: see shm.go for who
// makes up for the missing store-load barrier.
TEXT ·publishPos(SB), NOSPLIT, $0-16
	MOVQ p+0(FP), AX
	MOVQ v+8(FP), BX
	MOVQ BX, (AX)
	RET
