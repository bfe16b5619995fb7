package genverify_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/cellsubstrate/cell/internal/genverify"
	"github.com/cellsubstrate/cell/internal/schema"
)

// Generate the verifiers for the order schema and list the functions.
func Example() {
	s, err := schema.Compile(context.Background(), "../../examples/orders/orders.fbs", schema.CompileOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	src, err := genverify.Verify(s, genverify.Config{Source: "orders.fbs"})
	if err != nil {
		fmt.Println(err)
		return
	}
	sc := bufio.NewScanner(bytes.NewReader(src))
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, "func Verify") || strings.HasPrefix(line, "func Read") {
			fmt.Println(line[:strings.Index(line, " {")])
		}
	}
	// Output:
	// func VerifyOrder(buf []byte) error
	// func VerifyOrderLimits(buf []byte, lim fb.Limits) error
	// func ReadOrder(buf []byte, dst *Order) error
	// func VerifyOrderId(buf []byte) error
	// func VerifyOrderIdLimits(buf []byte, lim fb.Limits) error
	// func ReadOrderId(buf []byte, dst *OrderId) error
}
