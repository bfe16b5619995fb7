package rpc

import (
	"context"
	"fmt"
	"net"
	"os"
	"sort"
	"time"

	"github.com/cellsubstrate/cell/internal/registry"
	"github.com/cellsubstrate/cell/netpath"
)

// listeners are what Start opened: per service a registration, a control socket for
// shared memory and a netpath Unix socket; optionally one netpath TCP listener.
type listeners struct {
	regs []*registry.Registration
	shm  []*shmServer
	net  []*netpath.Server
	ns   *netServer
	tcp  string
}

func processID() int { return os.Getpid() }

// Start registers every service in the registry directory and starts serving: shared
// memory on each instance's control socket, netpath on its Unix socket, and netpath on
// ServerOptions.TCPAddr when set. It returns once clients can connect.
func (s *Server) Start() (err error) {
	s.mu.Lock()
	if s.started || s.closed {
		s.mu.Unlock()
		return fmt.Errorf("rpc: Start called twice or after Close")
	}
	s.started = true
	names := make([]string, 0, len(s.services))
	for n := range s.services {
		names = append(names, n)
	}
	s.mu.Unlock()
	if len(names) == 0 {
		return fmt.Errorf("rpc: Start with no service registered")
	}
	sort.Strings(names)
	defer func() {
		if err != nil {
			s.closeListeners()
		}
	}()
	dir, err := openDir(s.opts.Dir)
	if err != nil {
		return err
	}
	s.lst.ns = &netServer{s: s}
	if s.opts.TCPAddr != "" {
		l, err := s.lst.ns.listen("tcp://" + s.opts.TCPAddr)
		if err != nil {
			return err
		}
		s.lst.net = append(s.lst.net, l)
		s.lst.tcp = l.Addr()[len("tcp://"):]
	}
	for _, name := range names {
		svc := s.services[name]
		reg, err := dir.Reserve(name, s.opts.Instance)
		if err != nil {
			return err
		}
		s.lst.regs = append(s.lst.regs, reg)
		s.mu.Lock()
		if s.control == nil {
			s.control = make(map[string]string)
		}
		s.control[name] = reg.ControlPath()
		s.mu.Unlock()
		ln, err := net.ListenUnix("unixpacket", &net.UnixAddr{Name: reg.ControlPath(), Net: "unixpacket"})
		if err != nil {
			return fmt.Errorf("rpc: control socket: %w", err)
		}
		ln.SetUnlinkOnClose(true)
		ss := &shmServer{s: s, ln: ln, conns: make(map[*shmServerConn]struct{})}
		s.lst.shm = append(s.lst.shm, ss)
		ss.wg.Add(1)
		go ss.serve()
		l, err := s.lst.ns.listen("unix://" + reg.UnixPath())
		if err != nil {
			return err
		}
		s.lst.net = append(s.lst.net, l)
		methods := make([]registry.Method, len(svc.desc.Methods))
		for i := range svc.desc.Methods {
			methods[i] = registry.Method{Name: svc.desc.Methods[i].Name, Fingerprint: uint64(svc.desc.Methods[i].Fingerprint())}
		}
		if err := reg.Publish(registry.Info{Protocol: ProtocolVersion, Methods: methods, TCP: s.lst.tcp, Unix: true}); err != nil {
			return err
		}
	}
	return nil
}

// Instances returns the registry instance ids the server registered, one per service,
// in service-name order. Empty before Start.
func (s *Server) Instances() []string {
	var ids []string
	for _, r := range s.lst.regs {
		ids = append(ids, r.Instance())
	}
	return ids
}

// TCPAddr returns the netpath TCP address ("host:port") the server listens on, or "".
func (s *Server) TCPAddr() string { return s.lst.tcp }

// Shutdown stops the server gracefully: it unregisters the services (new clients no
// longer find them), refuses new connections, tells connected clients with a go-away,
// lets the handlers already running finish (or ctx end), then closes everything. A call
// whose handler had not started is refused with CodeUnavailable: it did not run, so the
// caller may retry it elsewhere. It returns ctx's error if the drain was cut short.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.draining.Store(true)
	s.mu.Unlock()
	for _, r := range s.lst.regs {
		r.Close()
	}
	for _, ss := range s.lst.shm {
		ss.mu.Lock()
		for c := range ss.conns {
			c.goAway()
		}
		ss.mu.Unlock()
	}
	var err error
	tick := time.NewTicker(time.Millisecond)
	for (s.calls.Load() > 0 || s.inlineRunning()) && err == nil {
		select {
		case <-ctx.Done():
			err = ctx.Err()
		case <-tick.C:
		}
	}
	tick.Stop()
	for _, l := range s.lst.net {
		if e := l.Shutdown(ctx); e != nil && err == nil {
			err = e
		}
	}
	s.finish()
	return err
}

// Close stops the server at once: calls in flight see their context end and their
// callers get an error. It returns once every connection's goroutine has stopped, so a
// handler that ignores its context delays it.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.draining.Store(true)
	s.mu.Unlock()
	s.cancelCalls()
	s.stop()
	for _, r := range s.lst.regs {
		r.Close()
	}
	for _, l := range s.lst.net {
		l.Close()
	}
	s.finish()
	return nil
}

// finish closes what is left and stops the worker pool.
func (s *Server) finish() {
	s.cancelCalls()
	s.stop()
	s.closeListeners()
	s.mu.Lock()
	already := s.closed
	s.closed = true
	s.mu.Unlock()
	if !already && s.pool != nil {
		close(s.pool)
		s.poolWG.Wait()
	}
}

func (s *Server) closeListeners() {
	for _, ss := range s.lst.shm {
		ss.stop()
	}
	for _, l := range s.lst.net {
		l.Close()
	}
	for _, r := range s.lst.regs {
		r.Close()
	}
}
