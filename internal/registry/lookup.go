package registry

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"

	"github.com/cellsubstrate/cell/internal/proc"
)

// Instance is a live instance found by Lookup.
type Instance struct {
	Descriptor
	// ControlPath is the absolute path of the instance's control socket.
	ControlPath string
	// UnixPath is the absolute path of its netpath Unix socket, or "" if it serves none.
	UnixPath string
}

// Skipped is an entry Lookup did not return, with the reason.
type Skipped struct {
	Instance string // the instance id (from the file name)
	// Err says why: ErrDead (the entry was swept, possibly by this call), ErrStale,
	// ErrNotPublished, ErrBadName, a *DescriptorError, or an I/O error.
	Err error
	// Swept is true when this call removed the entry's descriptor. Across concurrent
	// Lookups exactly one reports a given dead entry as swept.
	Swept bool
}

// Lookup returns the live instances of service, sorted by instance id, and the entries it
// skipped. An instance is live when its lock is held and its descriptor is valid and names
// a running process (pid and start time) on this boot of the host. An entry whose lock
// nobody holds is dead: Lookup takes its lock and removes its files. err is non-nil only
// when the service directory cannot be read; a service nobody registered has no instances
// and no error. Lookup is safe for concurrent use, also across processes.
func (d *Dir) Lookup(service string) (live []Instance, skipped []Skipped, err error) {
	if err := checkName("service", service, MaxServiceLen); err != nil {
		return nil, nil, err
	}
	ents, err := os.ReadDir(d.serviceDir(service))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("registry: %w", err)
	}
	boot, err := proc.BootID()
	if err != nil {
		return nil, nil, err
	}
	// Each id has up to four files; names sorted by ReadDir do not keep an id's files
	// together ("a.json" < "a.k.json" < "a.lock"), so collect, sort and deduplicate.
	ids := make([]string, 0, len(ents))
	for _, e := range ents {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue // temporary files, handled with their entry
		}
		dot := strings.LastIndexByte(name, '.')
		if dot <= 0 {
			continue // not ours
		}
		switch name[dot:] {
		case ".json", ".lock", suffixControl, suffixNet:
			ids = append(ids, name[:dot])
		}
	}
	slices.Sort(ids)
	for _, id := range slices.Compact(ids) {
		if err := checkName("instance", id, MaxInstanceLen); err != nil {
			skipped = append(skipped, Skipped{Instance: id, Err: err})
			continue
		}
		inst, sk, ok := d.check(service, id, boot)
		if ok {
			live = append(live, inst)
		} else if sk.Err != nil {
			skipped = append(skipped, sk)
		}
	}
	return live, skipped, nil
}

// check decides whether (service, id) is live, and sweeps it when it is dead. ok is
// false and sk.Err nil for an entry that vanished or held only leftovers.
func (d *Dir) check(service, id, boot string) (inst Instance, sk Skipped, ok bool) {
	sk.Instance = id
	f, err := d.acquire(service, id)
	if err == nil {
		// Nobody holds the lock: the instance is dead (or was never completed). We hold
		// the lock now, so no registration of this id can be between Reserve and Close.
		_, derr := d.readDescriptor(service, id)
		sk.Swept = d.removeEntry(service, id, true)
		f.Close()
		if sk.Swept {
			sk.Err = ErrDead
			if derr != nil {
				sk.Err = errors.Join(ErrDead, derr)
			}
		}
		return inst, sk, false
	}
	if !errors.Is(err, errHeld) {
		sk.Err = err
		return inst, sk, false
	}
	desc, err := d.readDescriptor(service, id)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		sk.Err = ErrNotPublished
		return inst, sk, false
	case err != nil:
		sk.Err = err
		return inst, sk, false
	case desc.Service != service || desc.Instance != id:
		sk.Err = &DescriptorError{d.descPath(service, id),
			fmt.Errorf("describes %s/%s", desc.Service, desc.Instance)}
		return inst, sk, false
	case desc.BootID != boot:
		sk.Err = fmt.Errorf("%w: boot id %s, this boot is %s", ErrStale, desc.BootID, boot)
		return inst, sk, false
	}
	alive, err := proc.Alive(desc.PID, desc.StartTime)
	if err != nil {
		sk.Err = err
		return inst, sk, false
	}
	if !alive {
		sk.Err = fmt.Errorf("%w: pid %d with start time %d is not running", ErrStale, desc.PID, desc.StartTime)
		return inst, sk, false
	}
	inst = Instance{Descriptor: desc, ControlPath: d.abs(desc.Control)}
	if desc.Unix != "" {
		inst.UnixPath = d.abs(desc.Unix)
	}
	return inst, sk, true
}

// readDescriptor reads and decodes the descriptor of (service, id). It refuses links,
// FIFOs and other non-regular files, and files over MaxDescriptorSize, without blocking.
// A missing file is an error matching fs.ErrNotExist.
func (d *Dir) readDescriptor(service, id string) (Descriptor, error) {
	path := d.descPath(service, id)
	f, err := os.OpenFile(path, os.O_RDONLY|openFlags, 0)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return Descriptor{}, err
		}
		return Descriptor{}, &DescriptorError{path, err}
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return Descriptor{}, &DescriptorError{path, err}
	}
	if !fi.Mode().IsRegular() {
		return Descriptor{}, &DescriptorError{path, fmt.Errorf("not a regular file (%v)", fi.Mode().Type())}
	}
	if fi.Size() > MaxDescriptorSize {
		return Descriptor{}, &DescriptorError{path, fmt.Errorf("%d bytes, limit %d", fi.Size(), MaxDescriptorSize)}
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxDescriptorSize+1))
	if err != nil {
		return Descriptor{}, &DescriptorError{path, err}
	}
	desc, err := Decode(b)
	if err != nil {
		var de *DescriptorError
		if errors.As(err, &de) {
			de.Path = path
		}
		return Descriptor{}, err
	}
	return desc, nil
}

// Services returns the names of the services that have a directory in d, sorted; a
// service may have no live instance. It is meant for operators' listings.
func (d *Dir) Services() ([]string, error) {
	ents, err := os.ReadDir(d.path)
	if err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	var out []string
	for _, e := range ents {
		if e.IsDir() && checkName("service", e.Name(), MaxServiceLen) == nil {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

// Pick returns one live instance of service, taking them in turn (round robin over the
// sorted list, one counter per Dir). With none it returns a *NoInstanceError naming the
// service and the directory (errors.Is(err, ErrNoInstance)). Safe for concurrent use.
func (d *Dir) Pick(service string) (Instance, error) {
	live, skipped, err := d.Lookup(service)
	if err != nil {
		return Instance{}, err
	}
	if len(live) == 0 {
		return Instance{}, &NoInstanceError{Service: service, Dir: d.path, Skipped: len(skipped)}
	}
	n := d.next.Add(1) - 1
	return live[n%uint64(len(live))], nil
}
