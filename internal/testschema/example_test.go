package testschema_test

import (
	"errors"
	"fmt"

	"github.com/cellsubstrate/cell/frame/fb"
	ts "github.com/cellsubstrate/cell/internal/testschema"
	flatbuffers "github.com/google/flatbuffers/go"
)

// Verify a buffer, read it in place, and see a damaged copy rejected with an error
// that names the field.
func Example() {
	buf := ts.BuildMonster(flatbuffers.NewBuilder(0), ts.SampleMonster())

	var m ts.Monster
	if err := ts.ReadMonster(buf, &m); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(m.Name()), m.Hp(), m.ChildrenLength(), m.PayloadType())

	bad := append([]byte(nil), buf...)
	bad[len(bad)-1] = 'x' // the last string's terminating NUL
	err := ts.VerifyMonster(bad)
	var fe *fb.Error
	fmt.Println(errors.Is(err, fb.ErrUnterminated), errors.As(err, &fe) && fe.Type == "testschema.Monster")
	// Output:
	// orc 300 2 Box
	// true true
}
