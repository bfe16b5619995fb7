package frame_test

import (
	"fmt"

	"github.com/cellsubstrate/cell/frame"
)

// Encode a request frame, then parse it as bytes arrive.
func Example() {
	h := frame.Header{Kind: frame.KindRequest, Method: 2, CallID: 41}
	wire := frame.AppendHeader(nil, &h, 5)
	wire = append(wire, "hello"...)

	var d frame.Decoder // zero value: frames up to DefaultMaxSize
	var got frame.Header
	_, _, ok, err := d.ParseInto(&got, wire[:10])
	fmt.Println("first 10 bytes:", ok, err)

	payload, n, ok, err := d.ParseInto(&got, wire)
	fmt.Println("whole frame:", ok, err, got.Kind, got.Method, got.CallID, string(payload), n)
	// Output:
	// first 10 bytes: false <nil>
	// whole frame: true <nil> request 2 41 hello 37
}
