package rpc

import (
	"context"
	"errors"
	"fmt"
)

// Code classifies an error. Codes travel in the Aux field of an error frame, so a
// client sees the code the server chose. Values are stable wire values.
type Code uint32

// The error codes. A code the receiver does not know is reported as CodeUnknown.
const (
	CodeOK                Code = 0  // not an error; never sent
	CodeCanceled          Code = 1  // the caller canceled the call
	CodeUnknown           Code = 2  // the handler returned an error without a code
	CodeInvalidArgument   Code = 3  // the request failed verification or was rejected
	CodeDeadlineExceeded  Code = 4  // the call's deadline passed
	CodeNotFound          Code = 5  // a handler's own "not found"
	CodeUnimplemented     Code = 12 // the server has no such method
	CodeInternal          Code = 13 // the handler panicked or the server failed
	CodeUnavailable       Code = 14 // the peer is gone, draining or unreachable
	CodeResourceExhausted Code = 8  // a bound was reached (ring full, too many calls)
	CodeIncompatible      Code = 16 // the handshake found incompatible method shapes
)

var codeNames = map[Code]string{
	CodeOK: "ok", CodeCanceled: "canceled", CodeUnknown: "unknown",
	CodeInvalidArgument: "invalid argument", CodeDeadlineExceeded: "deadline exceeded",
	CodeNotFound: "not found", CodeUnimplemented: "unimplemented", CodeInternal: "internal",
	CodeUnavailable: "unavailable", CodeResourceExhausted: "resource exhausted",
	CodeIncompatible: "incompatible",
}

// String returns the code's lower-case name.
func (c Code) String() string {
	if s, ok := codeNames[c]; ok {
		return s
	}
	return fmt.Sprintf("code(%d)", uint32(c))
}

// Error is an error with a code. A remote error (Remote true) is the one a handler on
// the other side returned, carrying its code and message. errors.Is(err, ErrX) matches
// any *Error with the same code as the sentinel ErrX, local or remote; an *Error with
// CodeDeadlineExceeded or CodeCanceled also matches context.DeadlineExceeded or
// context.Canceled. An *Error is immutable once returned.
type Error struct {
	Code    Code
	Message string
	Remote  bool  // true when the peer sent this error in an error frame
	cause   error // the local error this one wraps, if any
}

// Error returns "rpc: <code>: <message>", prefixed with "remote " for remote errors.
func (e *Error) Error() string {
	where := ""
	if e.Remote {
		where = "remote "
	}
	if e.Message == "" {
		return "rpc: " + where + e.Code.String()
	}
	return "rpc: " + where + e.Code.String() + ": " + e.Message
}

// Unwrap returns the local cause, if any.
func (e *Error) Unwrap() error { return e.cause }

// Is reports whether target is a sentinel *Error with e's code, or the context error
// matching e's code.
func (e *Error) Is(target error) bool {
	if t, ok := target.(*Error); ok {
		return t.Code == e.Code && t.Message == "" && !t.Remote
	}
	switch e.Code {
	case CodeDeadlineExceeded:
		return target == context.DeadlineExceeded
	case CodeCanceled:
		return target == context.Canceled
	}
	return false
}

// Errorf returns an *Error with the given code and a formatted message. Handlers return
// it to choose the code the caller sees.
func Errorf(code Code, format string, args ...any) error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// CodeOf returns the code of err: the code of the first *Error in its chain, CodeOK for
// nil, CodeDeadlineExceeded or CodeCanceled for the context errors, else CodeUnknown.
func CodeOf(err error) Code {
	if err == nil {
		return CodeOK
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return CodeDeadlineExceeded
	case errors.Is(err, context.Canceled):
		return CodeCanceled
	}
	return CodeUnknown
}

// Sentinels matched with errors.Is. Each matches every *Error with its code.
var (
	// ErrCanceled occurs when the caller's context was canceled before the reply came.
	ErrCanceled = &Error{Code: CodeCanceled}
	// ErrDeadlineExceeded occurs when the call's deadline passed, on either side.
	ErrDeadlineExceeded = &Error{Code: CodeDeadlineExceeded}
	// ErrUnimplemented occurs when the server does not serve the called method.
	ErrUnimplemented = &Error{Code: CodeUnimplemented}
	// ErrInternal occurs when the handler panicked or the server failed.
	ErrInternal = &Error{Code: CodeInternal}
	// ErrUnavailable occurs when the peer died, closed, is draining or cannot be reached.
	ErrUnavailable = &Error{Code: CodeUnavailable}
	// ErrInvalidArgument occurs when a request or reply failed verification.
	ErrInvalidArgument = &Error{Code: CodeInvalidArgument}
	// ErrResourceExhausted occurs when a bound was reached and the caller chose not to wait.
	ErrResourceExhausted = &Error{Code: CodeResourceExhausted}
	// ErrIncompatible occurs when the handshake found a method whose shapes differ; the
	// error is an *IncompatibleError naming the service, method and both fingerprints.
	ErrIncompatible = &Error{Code: CodeIncompatible}
	// ErrClosed occurs when a call is made on a Client or Server that was closed.
	ErrClosed = errors.New("rpc: closed")
	// ErrProtocol occurs when the peer violated the protocol (bad handshake, malformed
	// frame, unknown call id); the connection is closed.
	ErrProtocol = errors.New("rpc: protocol violation")
)

// errorFromFrame makes the remote error of an error frame. The message is copied.
func errorFromFrame(code uint32, msg []byte) *Error {
	c := Code(code)
	if _, ok := codeNames[c]; !ok || c == CodeOK {
		c = CodeUnknown
	}
	return &Error{Code: c, Message: string(msg), Remote: true}
}

// unavailable wraps a transport failure as an ErrUnavailable-matching error.
func unavailable(cause error, format string, args ...any) *Error {
	return &Error{Code: CodeUnavailable, Message: fmt.Sprintf(format, args...) + ": " + cause.Error(), cause: cause}
}
