package fb

import "math"

// Mix folds x into the checksum h. Generated TouchX functions use it so that the
// compiler cannot discard the reads they make.
func Mix(h, x uint64) uint64 { return (h ^ x) * 0x100000001b3 }

// MixBytes folds the bytes of b, and its length, into h.
func MixBytes(h uint64, b []byte) uint64 {
	h = Mix(h, uint64(len(b)))
	for _, c := range b {
		h = Mix(h, uint64(c))
	}
	return h
}

// Bool returns 1 for true and 0 for false.
func Bool(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// Float32 returns the bits of f.
func Float32(f float32) uint64 { return uint64(math.Float32bits(f)) }

// Float64 returns the bits of f.
func Float64(f float64) uint64 { return math.Float64bits(f) }
