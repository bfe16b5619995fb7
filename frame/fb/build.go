package fb

import (
	"encoding/binary"

	flatbuffers "github.com/google/flatbuffers/go"
)

// This file is the runtime of cellgen's generated XBuild functions, which write a
// table, its strings and its vectors of strings in one step on a
// flatbuffers.Builder, instead of one Prep and Place per field and per string. The
// functions are exported for that code; they are not meant to be called by hand.
//
// An XBuild reserves one region for the whole table at the Builder's head: the
// table's inline fields and its vtable (an image laid out by cellgen) at the
// region's start, the strings after it, at higher addresses, as FlatBuffers' forward
// offsets require. Offsets inside the region are differences of region indexes.

// reserveByPlace is the largest region Reserve makes room for with Place calls of
// zeros; a larger one costs one memmove instead (see Reserve).
const reserveByPlace = 32

// Reserve makes room for n bytes at b's head, aligned so that the region's byte 4
// sits at an offset that is a multiple of align (the start of the fields of a table
// whose 4-byte soffset starts the region), moves the head to the region's start
// and returns the region, zeroed, as b.Bytes[head:head+n]. n must be a multiple of
// 4 and at least 4, and align a power of two of at least 4.
// Like Builder.CreateString, it must not be called while a table is being built.
//
// The flatbuffers.Builder has no call that moves its head by n bytes. Small regions
// are reserved with Place calls of zeros; larger ones by zeroing the bytes below the
// head and handing them to CreateByteVector, which copies them onto themselves and
// writes a length in the first 4 bytes, zeroed again here.
func Reserve(b *flatbuffers.Builder, align, n int) []byte {
	b.Prep(align, n-4)
	if n <= reserveByPlace {
		for i := n; i >= 8; i -= 8 {
			b.PlaceUint64(0)
		}
		if n&4 != 0 {
			b.PlaceUint32(0)
		}
	} else {
		h := int(b.Head())
		r := b.Bytes[h-n : h]
		clear(r)
		b.CreateByteVector(r[4:])
	}
	h := int(b.Head())
	r := b.Bytes[h : h+n : h+n]
	if n > reserveByPlace {
		clear(r[:4])
	}
	return r
}

// StringSize returns the bytes a string of len(s) bytes takes in a region: its
// length, its bytes, its NUL and padding to a multiple of 4.
func StringSize(s string) int { return 4 + (len(s)+4)&^3 }

// StringsSize returns the bytes a vector of the strings ss takes in a region: its
// length, an offset per string and the strings.
func StringsSize(ss []string) int {
	n := 4 + 4*len(ss)
	for _, s := range ss {
		n += StringSize(s)
	}
	return n
}

// PutOffset stores in r[at:] the offset from index at to index to, to > at.
func PutOffset(r []byte, at, to int) {
	binary.LittleEndian.PutUint32(r[at:], uint32(to-at))
}

// PutString writes s at r[at:] (r zeroed, at a multiple of 4) and returns the index
// after it: at + StringSize(s).
func PutString(r []byte, at int, s string) int {
	binary.LittleEndian.PutUint32(r[at:], uint32(len(s)))
	copy(r[at+4:], s)
	return at + StringSize(s)
}

// PutStrings writes a vector of the strings ss at r[at:] (r zeroed, at a multiple
// of 4), followed by the strings, and returns the index after them:
// at + StringsSize(ss).
func PutStrings(r []byte, at int, ss []string) int {
	binary.LittleEndian.PutUint32(r[at:], uint32(len(ss)))
	elem := at + 4
	next := elem + 4*len(ss)
	for _, s := range ss {
		PutOffset(r, elem, next)
		next = PutString(r, next, s)
		elem += 4
	}
	return next
}
