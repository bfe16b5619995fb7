package fuzz_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/cellsubstrate/cell/examples/orders"
	"github.com/cellsubstrate/cell/frame/fb"
	ts "github.com/cellsubstrate/cell/internal/testschema"
	flatbuffers "github.com/google/flatbuffers/go"
)

// limits keep one fuzz input cheap: a few bytes of offsets can form a DAG that
// reaches a million tables, which the default limit allows but would slow fuzzing.
var limits = fb.Limits{MaxTables: 5000}

var sentinels = []error{fb.ErrBufferSize, fb.ErrIdentifier, fb.ErrOutOfBounds, fb.ErrVTable,
	fb.ErrUnterminated, fb.ErrRequired, fb.ErrUnion, fb.ErrDepth, fb.ErrTooManyTables}

// checkError fails unless err is an *fb.Error wrapping one of the sentinels.
func checkError(t *testing.T, err error) {
	var fe *fb.Error
	if !errors.As(err, &fe) {
		t.Fatalf("error %v (%T) is not an *fb.Error", err, err)
	}
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return
		}
	}
	t.Fatalf("error %v wraps no sentinel", err)
}

func monsterSeeds() [][]byte {
	b := flatbuffers.NewBuilder(0)
	full := append([]byte(nil), ts.BuildMonster(b, ts.SampleMonster())...)
	minimal := append([]byte(nil), ts.BuildMonster(b, &ts.MonsterT{Name: "m"})...)
	box := append([]byte(nil), ts.BuildBox(b, 200)...)
	seeds := [][]byte{full, minimal, box, full[:len(full)/2], {}, {4, 0, 0, 0, 'C', 'T', 'S', 'T'}}
	// A buffer built by a second implementation, flatc's C++ builder, when flatc is
	// installed: its layout (vtable sharing, padding) differs from Go's.
	if dir, err := os.MkdirTemp("", "fuzzseed"); err == nil {
		defer os.RemoveAll(dir)
		if exec.Command("flatc", "-b", "-o", dir, "../internal/testschema/testschema.fbs",
			"../internal/testschema/testdata/monster.json").Run() == nil {
			if b, err := os.ReadFile(filepath.Join(dir, "monster.ctst")); err == nil {
				seeds = append(seeds, b)
			}
		}
	}
	return seeds
}

// FuzzVerifyMonster runs VerifyMonster on arbitrary bytes. When it accepts them,
// every accessor is read (TouchMonster), the object API decodes them (UnPack), and
// re-encoding that is a fixed point after one round.
func FuzzVerifyMonster(f *testing.F) {
	for _, s := range monsterSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var m ts.Monster
		err := ts.VerifyMonsterLimits(data, limits)
		if err != nil {
			checkError(t, err)
			return
		}
		m.Init(data, fb.RootPos(data))
		ts.TouchMonster(&m)
		b := flatbuffers.NewBuilder(0)
		once := append([]byte(nil), ts.BuildMonster(b, m.UnPack())...)
		var m1 ts.Monster
		if err := ts.ReadMonster(once, &m1); err != nil {
			t.Fatalf("re-encoded monster fails verification: %v", err)
		}
		twice := ts.BuildMonster(b, m1.UnPack())
		var m2 ts.Monster
		if err := ts.ReadMonster(twice, &m2); err != nil {
			t.Fatalf("twice re-encoded monster fails verification: %v", err)
		}
		if a, c := ts.TouchMonster(&m1), ts.TouchMonster(&m2); a != c {
			t.Fatalf("re-encoding is not stable: %#x != %#x", a, c)
		}
	})
}

// FuzzVerifyBox does the same for Box, the table BenchmarkVerify scales, whose
// vector of tables is the verifier's main loop.
func FuzzVerifyBox(f *testing.F) {
	for _, s := range monsterSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		err := ts.VerifyBoxLimits(data, limits)
		if err != nil {
			checkError(t, err)
			return
		}
		var x ts.Box
		x.Init(data, fb.RootPos(data))
		ts.TouchBox(&x)
		x.UnPack()
	})
}

// FuzzVerifyOrder runs VerifyOrder on arbitrary bytes; when it accepts them, reading
// every field must not panic, and decoding, re-encoding and decoding again must give
// the same order.
func FuzzVerifyOrder(f *testing.F) {
	b := flatbuffers.NewBuilder(0)
	o := &orders.OrderT{Id: 7, Symbol: "ACME", Side: orders.SideSell, Quantity: 100, Price: -5,
		ClientName: "alice", Tags: []string{"a", "bb", ""}}
	b.Finish(o.Pack(b))
	f.Add(append([]byte(nil), b.FinishedBytes()...))
	b.Reset()
	b.Finish((&orders.OrderT{}).Pack(b))
	f.Add(append([]byte(nil), b.FinishedBytes()...))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		var ord orders.Order
		if err := orders.ReadOrder(data, &ord); err != nil {
			checkError(t, err)
			return
		}
		sum := orders.TouchOrder(&ord)
		ot := ord.UnPack()
		b := flatbuffers.NewBuilder(0)
		b.Finish(ot.Pack(b))
		var again orders.Order
		if err := orders.ReadOrder(b.FinishedBytes(), &again); err != nil {
			t.Fatalf("re-encoded order fails verification: %v", err)
		}
		if orders.TouchOrder(&again) != sum {
			t.Fatalf("re-encoded order reads differently: %+v vs %+v", ot, again.UnPack())
		}
	})
}
