package registry

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"time"

	"github.com/cellsubstrate/cell/internal/proc"
)

// Info is what the caller of Register says about an instance; the registry adds the
// identity fields of the Descriptor.
type Info struct {
	// Instance is the instance id, unique within the service. Empty means a random one.
	Instance string
	// Protocol is the rpc protocol version, opaque to the registry.
	Protocol uint32
	// Schema is the schema fingerprint, opaque to the registry.
	Schema string
	// Methods are the method fingerprints, opaque to the registry.
	Methods []Method
	// TCP is the netpath TCP address ("host:port") the instance serves, or "".
	TCP string
	// Unix says whether the instance serves netpath on the Unix socket at
	// Registration.UnixPath.
	Unix bool
}

// Registration is a live instance of a service in a Dir: it holds the instance's lock
// for as long as it is open. Its methods are safe for concurrent use.
type Registration struct {
	dir      *Dir
	service  string
	instance string
	control  string // relative to dir
	unix     string // relative to dir

	mu   sync.Mutex
	lock *os.File // nil once closed
	desc Descriptor
}

// Register reserves an instance of service (see Reserve) and publishes its descriptor
// (see Publish) in one step.
func (d *Dir) Register(service string, info Info) (*Registration, error) {
	r, err := d.Reserve(service, info.Instance)
	if err != nil {
		return nil, err
	}
	if err := r.Publish(info); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

// Reserve takes the lock of instance id (a random id when id is empty) of service and
// reserves its socket paths, without publishing a descriptor: Lookup reports the instance
// as not yet published. Leftovers of a dead instance with the same id are replaced. When
// a live registration holds the id it fails with ErrInstanceExists; when the lock is held
// by someone who is not a published live instance (a sweeper for a moment, or a reserved
// but unpublished instance) it retries for about a second before failing so.
//
// The lock lives in an open file owned by the Registration: keep the Registration
// reachable until Close, or the garbage collector closes the file, which releases the
// lock, and the instance is then swept as dead.
func (d *Dir) Reserve(service, id string) (*Registration, error) {
	if err := checkName("service", service, MaxServiceLen); err != nil {
		return nil, err
	}
	if id == "" {
		var b [8]byte
		rand.Read(b[:])
		id = hex.EncodeToString(b[:])
	}
	if err := checkName("instance", id, MaxInstanceLen); err != nil {
		return nil, err
	}
	control, err := d.socketRel(service, id, suffixControl)
	if err != nil {
		return nil, err
	}
	unixRel, err := d.socketRel(service, id, suffixNet)
	if err != nil {
		return nil, err
	}
	if err := mkdirPrivate(d.serviceDir(service)); err != nil {
		return nil, fmt.Errorf("registry: service directory: %w", err)
	}
	if control[0] == '.' || unixRel[0] == '.' {
		if err := mkdirPrivate(d.abs(shortDir)); err != nil {
			return nil, fmt.Errorf("registry: short socket directory: %w", err)
		}
	}
	f, err := d.acquireWait(service, id)
	if err != nil {
		return nil, err
	}
	r := &Registration{dir: d, service: service, instance: id, control: control, unix: unixRel, lock: f}
	// We hold the lock: whatever else carries this id belongs to a dead predecessor.
	d.removeEntry(service, id, false)
	return r, nil
}

// acquireWait takes the lock of (service, id), waiting a bounded time for a sweeper that
// holds it for a moment; it gives up with ErrInstanceExists when the holder is a live,
// published instance, or when the lock stays held.
func (d *Dir) acquireWait(service, id string) (*os.File, error) {
	const attempts = 200 // sweepers hold a lock for microseconds; this waits about 1 s at most
	for i := 0; ; i++ {
		f, err := d.acquire(service, id)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, errHeld) {
			return nil, err
		}
		if i == attempts || d.heldByLive(service, id) {
			return nil, fmt.Errorf("%w: %s/%s in %s", ErrInstanceExists, service, id, d.path)
		}
		time.Sleep(time.Duration(min(i+1, 10)) * time.Millisecond / 2)
	}
}

// heldByLive reports whether the descriptor of (service, id) names a live process.
func (d *Dir) heldByLive(service, id string) bool {
	desc, err := d.readDescriptor(service, id)
	if err != nil {
		return false
	}
	ok, _ := proc.Alive(desc.PID, desc.StartTime)
	return ok
}

// acquire opens (creating it if needed) the lock file of (service, id) and takes its
// lock without blocking. It returns errHeld when someone else holds it. Holding the lock
// on a file that a sweeper has meanwhile unlinked would be worthless, so after locking it
// checks that the path still names the file it locked, and starts over when not.
func (d *Dir) acquire(service, id string) (*os.File, error) {
	path := d.lockPath(service, id)
	for range 100 {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|openFlags, 0o600)
		if err != nil {
			return nil, fmt.Errorf("registry: open lock: %w", err)
		}
		if err := tryLock(f); err != nil {
			f.Close()
			return nil, err
		}
		fi, err1 := f.Stat()
		pi, err2 := os.Lstat(path)
		if err1 == nil && err2 == nil && os.SameFile(fi, pi) {
			if !fi.Mode().IsRegular() {
				f.Close()
				return nil, fmt.Errorf("registry: lock %s is not a regular file", path)
			}
			return f, nil
		}
		f.Close() // a sweeper unlinked it after we opened it: try the new file
		if err2 != nil && !errors.Is(err2, fs.ErrNotExist) {
			return nil, err2
		}
	}
	return nil, fmt.Errorf("registry: lock %s keeps being replaced", path)
}

// removeEntry deletes the files of (service, id). The caller holds the entry's lock.
// The lock file goes last, and only when unlinkLock is set: while it exists, anyone else
// must take the lock before touching the entry. It reports whether it removed the
// descriptor.
func (d *Dir) removeEntry(service, id string, unlinkLock bool) bool {
	removed := os.Remove(d.descPath(service, id)) == nil
	os.Remove(d.tempPath(service, id))
	for _, suf := range []string{suffixControl, suffixNet} {
		os.Remove(d.abs(primaryRel(service, id, suf)))
		os.Remove(d.abs(shortRel(service, id, suf)))
	}
	if unlinkLock {
		os.Remove(d.lockPath(service, id))
	}
	return removed
}

// Publish writes (or rewrites) the instance's descriptor from info, atomically: a reader
// sees the old descriptor or the new one, never a mix. info.Instance must be empty or
// equal the registration's id.
func (r *Registration) Publish(info Info) error {
	if info.Instance != "" && info.Instance != r.instance {
		return fmt.Errorf("registry: Publish: instance %q, registration is %q", info.Instance, r.instance)
	}
	st, err := proc.SelfStartTime()
	if err != nil {
		return err
	}
	boot, err := proc.BootID()
	if err != nil {
		return err
	}
	desc := Descriptor{
		Version: FormatVersion, Service: r.service, Instance: r.instance,
		PID: os.Getpid(), StartTime: st, BootID: boot,
		Protocol: info.Protocol, Schema: info.Schema, Methods: append([]Method(nil), info.Methods...),
		Control: r.control, TCP: info.TCP,
	}
	if info.Unix {
		desc.Unix = r.unix
	}
	b, err := desc.Encode()
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.lock == nil {
		return ErrClosed
	}
	if err := writeAtomic(r.dir.tempPath(r.service, r.instance), r.dir.descPath(r.service, r.instance), b); err != nil {
		return fmt.Errorf("registry: publish: %w", err)
	}
	r.desc = desc
	return nil
}

// writeAtomic writes b to tmp and renames it over path. Only the lock holder writes tmp,
// so its name needs no randomness.
func writeAtomic(tmp, path string, b []byte) error {
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|openFlags, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err1 := f.Close(); err == nil {
		err = err1
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

// Service returns the service name.
func (r *Registration) Service() string { return r.service }

// Instance returns the instance id.
func (r *Registration) Instance() string { return r.instance }

// ControlPath returns the absolute path reserved for the instance's control socket; the
// rpc server listens there. It fits in a Unix socket address. Close the listener before
// the Registration, or call (*net.UnixListener).SetUnlinkOnClose(false): a Go listener
// unlinks its path when closed, and once the Registration is closed that path may
// already be a successor's socket.
func (r *Registration) ControlPath() string { return r.dir.abs(r.control) }

// UnixPath returns the absolute path reserved for the instance's netpath Unix socket,
// published when Info.Unix is set. It fits in a Unix socket address.
func (r *Registration) UnixPath() string { return r.dir.abs(r.unix) }

// Descriptor returns the descriptor last published (the zero Descriptor before Publish).
func (r *Registration) Descriptor() Descriptor {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.desc
}

// Close unregisters the instance: it removes the descriptor, the socket files and the
// lock file, then releases the lock. Close is idempotent; later calls return nil.
func (r *Registration) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.lock == nil {
		return nil
	}
	r.dir.removeEntry(r.service, r.instance, true)
	err := r.lock.Close()
	r.lock = nil
	return err
}
