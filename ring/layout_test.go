package ring

import "testing"

// TestLayout pins every offset of the segment layout: changing one is a new
// layoutVersion, and doc.go's diagram must change with it.
func TestLayout(t *testing.T) {
	for _, tc := range []struct {
		name      string
		got, want int
	}{
		{"headerSize", headerSize, 4096},
		{"lineSize", lineSize, 128},
		{"offMagic", offMagic, 0},
		{"offVersion", offVersion, 8},
		{"offHeaderSize", offHeaderSize, 12},
		{"offSize0", offSize0, 16},
		{"offSize1", offSize1, 24},
		{"offTotal", offTotal, 32},
		{"offSide0", offSide0, 128},
		{"offSide1", offSide1, 256},
		{"sidePid", sidePid, 0},
		{"sideStart", sideStart, 8},
		{"sideHeartbeat", sideHeartbeat, 16},
		{"sideState", sideState, 24},
		{"sideFlags", sideFlags, 28},
		{"sideFenced", sideFenced, 1},
		{"offRing0", offRing0, 512},
		{"offRing1", offRing1, 1024},
		{"ringCtlSize", ringCtlSize, 512},
		{"ctlTail", ctlTail, 0},
		{"ctlDataSeq", ctlDataSeq, 8},
		{"ctlHead", ctlHead, 128},
		{"ctlSpaceSeq", ctlSpaceSeq, 136},
		{"ctlConsSleeps", ctlConsSleeps, 256},
		{"ctlProdSleeps", ctlProdSleeps, 384},
		{"recHeaderSize", recHeaderSize, 8},
		{"kindData", kindData, 'D'},
		{"kindPad", kindPad, 'P'},
		{"layoutVersion", layoutVersion, 2},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %d, want %d", tc.name, tc.got, tc.want)
		}
	}
	if segMagic != 0x676e69726c6c6563 {
		t.Errorf("segMagic = %#x", uint64(segMagic))
	}
	// The lines each side writes must not share a 128-byte line with the other side's.
	for _, off := range []int{ctlTail, ctlHead, ctlConsSleeps, ctlProdSleeps} {
		if off%lineSize != 0 {
			t.Errorf("control field at %d is not line-aligned", off)
		}
	}
	if offRing1+ringCtlSize > headerSize || offSide1+lineSize > offRing0 {
		t.Error("header blocks overlap or overflow the header page")
	}
}
