package rpc

import (
	"context"
	"errors"
	"testing"

	flatbuffers "github.com/google/flatbuffers/go"

	"github.com/cellsubstrate/cell/frame"
)

// recordOut is an outbound that records what a connection sends.
type recordOut struct{ frames []frame.Header }

func (o *recordOut) sendFrame(h *frame.Header, p []byte) error {
	o.frames = append(o.frames, *h)
	return nil
}

// FuzzDispatch feeds a server connection arbitrary frames (any kind, flags, method id,
// call id, deadline and payload), the way a hostile peer could after the handshake: it
// must never panic, must answer every request exactly once with a reply or an error
// for the same call id, and must refuse kinds a client may not send.
func FuzzDispatch(f *testing.F) {
	f.Add(uint8(frame.KindRequest), uint16(0), uint32(0), uint64(1), int64(0), []byte("abcd"))
	f.Add(uint8(frame.KindRequest), uint16(frame.FlagDeadline), uint32(0), uint64(2), int64(1), []byte("abcd"))
	f.Add(uint8(frame.KindRequest), uint16(0), uint32(1), uint64(3), int64(0), []byte("panic"))
	f.Add(uint8(frame.KindRequest), uint16(0), uint32(7), uint64(4), int64(0), []byte{})
	f.Add(uint8(frame.KindCancel), uint16(0), uint32(0), uint64(1), int64(0), []byte{})
	f.Add(uint8(frame.KindReply), uint16(0), uint32(0), uint64(1), int64(0), []byte{})
	f.Add(uint8(frame.KindPing), uint16(0), uint32(0), uint64(9), int64(0), []byte{})
	desc := &ServiceDesc{Name: "test.Fuzz", Methods: []MethodDesc{{Name: "Echo"}, {Name: "Panic"}}}
	panics := func(ctx context.Context, req []byte, b *flatbuffers.Builder) (flatbuffers.UOffsetT, error) {
		panic("fuzz handler panics")
	}
	srv, err := NewServer(ServerOptions{Logger: discard})
	if err != nil {
		f.Fatal(err)
	}
	if err := srv.Register(desc, []Handler{echo, panics}); err != nil {
		f.Fatal(err)
	}
	svc := srv.services[desc.Name]
	f.Fuzz(func(t *testing.T, kind uint8, flags uint16, method uint32, id uint64, deadline int64, payload []byte) {
		table := []entry{{name: "Echo", h: echo}, {name: "Panic", h: panics}}
		c := srv.newConn(svc, table)
		defer c.forget()
		out := &recordOut{}
		h := frame.Header{Kind: frame.Kind(kind), Flags: frame.Flags(flags), Method: method, CallID: id, Deadline: deadline}
		err := c.handle(out, &h, payload)
		switch h.Kind {
		case frame.KindRequest:
			if err != nil {
				t.Fatalf("request refused with %v", err)
			}
			if len(out.frames) != 1 || out.frames[0].CallID != id ||
				(out.frames[0].Kind != frame.KindReply && out.frames[0].Kind != frame.KindError) {
				t.Fatalf("request answered with %+v", out.frames)
			}
		case frame.KindCancel, frame.KindPong, frame.KindGoAway:
			if err != nil || len(out.frames) != 0 {
				t.Fatalf("%v: %v, %+v", h.Kind, err, out.frames)
			}
		case frame.KindPing:
			if err != nil || len(out.frames) != 1 || out.frames[0].Kind != frame.KindPong {
				t.Fatalf("ping: %v, %+v", err, out.frames)
			}
		default:
			if !errors.Is(err, ErrProtocol) {
				t.Fatalf("%v from a client: %v, want ErrProtocol", h.Kind, err)
			}
		}
	})
}
