package rpc_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/cellsubstrate/cell/examples/orders"
	"github.com/cellsubstrate/cell/rpc"
)

func orderMethod() rpc.MethodDesc {
	m := orders.OrdersDesc.Methods[orders.OrdersCreateOrder]
	m.Request.Fields = append([]rpc.Field(nil), m.Request.Fields...)
	return m
}

func TestCompatible(t *testing.T) {
	cases := []struct {
		name   string
		change func(m *rpc.MethodDesc)
		ok     bool
	}{
		{"identical", func(m *rpc.MethodDesc) {}, true},
		{"field added", func(m *rpc.MethodDesc) {
			m.Request.Fields = append(m.Request.Fields, rpc.Field{Path: "7", Name: "note", Type: "string"})
		}, true},
		{"field removed (deprecated)", func(m *rpc.MethodDesc) { m.Request.Fields = m.Request.Fields[:6] }, true},
		{"nested field added", func(m *rpc.MethodDesc) {
			m.Request.Fields = append(m.Request.Fields, rpc.Field{Path: "6.0", Name: "x", Type: "int"})
		}, true},
		{"field type changed", func(m *rpc.MethodDesc) { m.Request.Fields[3].Type = "ulong" }, false},
		{"field renamed", func(m *rpc.MethodDesc) { m.Request.Fields[1].Name = "ticker" }, false},
		{"enum underlying changed", func(m *rpc.MethodDesc) { m.Request.Fields[2].Type = "orders.Side:short" }, false},
		{"request type changed", func(m *rpc.MethodDesc) { m.Request.Type = "orders.Other" }, false},
		{"reply type changed", func(m *rpc.MethodDesc) { m.Reply.Type = "orders.Order" }, false},
		{"method renamed", func(m *rpc.MethodDesc) { m.Name = "PlaceOrder" }, false},
	}
	base := orderMethod()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := orderMethod()
			tc.change(&m)
			ok, why := rpc.Compatible(&base, &m)
			if ok != tc.ok {
				t.Fatalf("Compatible = %v (%s), want %v", ok, why, tc.ok)
			}
			if ok2, _ := rpc.Compatible(&m, &base); ok2 != ok {
				t.Fatalf("Compatible is not symmetric")
			}
			if !ok && why == "" {
				t.Fatal("no reason given")
			}
			same := m.Fingerprint() == base.Fingerprint()
			if same != (tc.name == "identical") {
				t.Fatalf("fingerprint equal = %v", same)
			}
		})
	}
}

// The fingerprint is a stable function of the shape: pinned so that a change to the
// hash (which would make every deployed peer look different) fails here first.
func TestFingerprintStable(t *testing.T) {
	m := rpc.MethodDesc{Name: "M", Request: rpc.Shape{Type: "a.Req", Fields: []rpc.Field{{Path: "0", Name: "x", Type: "int"}}}, Reply: rpc.Shape{Type: "a.Rep"}}
	const want = "d06717402e31ed1f"
	if got := m.Fingerprint().String(); got != want {
		t.Fatalf("fingerprint %s, want %s", got, want)
	}
	n := m
	n.Request.Fields = []rpc.Field{{Path: "0", Name: "xi", Type: "nt"}}
	if n.Fingerprint() == m.Fingerprint() {
		t.Fatal("fields are not separated in the hash")
	}
}

func TestErrors(t *testing.T) {
	remote := &rpc.Error{Code: rpc.CodeNotFound, Message: "x", Remote: true}
	cases := []struct {
		err    error
		target error
		want   bool
	}{
		{remote, rpc.ErrUnavailable, false},
		{fmt.Errorf("wrapped: %w", remote), &rpc.Error{Code: rpc.CodeNotFound}, true},
		{&rpc.Error{Code: rpc.CodeDeadlineExceeded}, rpc.ErrDeadlineExceeded, true},
		{&rpc.Error{Code: rpc.CodeDeadlineExceeded}, context.DeadlineExceeded, true},
		{&rpc.Error{Code: rpc.CodeCanceled, Remote: true}, context.Canceled, true},
		{&rpc.Error{Code: rpc.CodeCanceled}, context.DeadlineExceeded, false},
		{&rpc.IncompatibleError{Service: "s", Method: "m"}, rpc.ErrIncompatible, true},
	}
	for i, tc := range cases {
		if got := errors.Is(tc.err, tc.target); got != tc.want {
			t.Errorf("%d: errors.Is(%v, %v) = %v", i, tc.err, tc.target, got)
		}
	}
	if rpc.CodeOf(context.DeadlineExceeded) != rpc.CodeDeadlineExceeded || rpc.CodeOf(errors.New("x")) != rpc.CodeUnknown || rpc.CodeOf(nil) != rpc.CodeOK {
		t.Error("CodeOf")
	}
	if got := remote.Error(); got != "rpc: remote not found: x" {
		t.Errorf("Error() = %q", got)
	}
}

func TestRegisterValidates(t *testing.T) {
	srv, err := rpc.NewServer(rpc.ServerOptions{Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	bad := orders.OrdersDesc
	bad.Methods = []rpc.MethodDesc{orderMethod(), orderMethod()}
	if err := srv.Register(&bad, make([]rpc.Handler, 2)); err == nil {
		t.Error("duplicate method names accepted")
	}
	unsorted := orders.OrdersDesc
	m := orderMethod()
	m.Request.Fields[0], m.Request.Fields[1] = m.Request.Fields[1], m.Request.Fields[0]
	unsorted.Methods = []rpc.MethodDesc{m}
	if err := srv.Register(&unsorted, make([]rpc.Handler, 1)); err == nil {
		t.Error("unsorted fields accepted")
	}
	if err := srv.Register(&orders.OrdersDesc, nil); err == nil {
		t.Error("missing handlers accepted")
	}
	if err := srv.Start(); err == nil {
		t.Error("Start with no service succeeded")
	}
}
