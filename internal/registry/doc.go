// Package registry is cell's local discovery: each instance of a service registers in a
// per-user directory, and a client finds the live instances of a service by name, with no
// configuration.
//
// # The directory
//
// The directory is $CELL_DIR, else $XDG_RUNTIME_DIR/cell, else cell-<uid> under the temp
// directory (DefaultPath). Open creates it with mode 0700 and refuses one that is a
// symbolic link, is owned by another user or lets group or others in: in a shared /tmp
// another user could have created it first. Everything in it is written by our own uid.
//
//	$CELL_DIR/                          0700, ours
//	├── orders/                         one directory per service, 0700
//	│   ├── 3f9c0a1b2c3d4e5f.lock       lock file, flock held by the live instance
//	│   ├── 3f9c0a1b2c3d4e5f.json       descriptor (JSON, written by temp file + rename)
//	│   ├── .3f9c0a1b2c3d4e5f.tmp       descriptor being written (only by the lock holder)
//	│   ├── 3f9c0a1b2c3d4e5f.ctl        control socket (the rpc server listens here)
//	│   └── 3f9c0a1b2c3d4e5f.net        netpath Unix socket, when the instance serves one
//	└── .s/                             short socket names, used when
//	    └── 9a0b1c2d3e4f5a6b.ctl          <dir>/<service>/<id>.ctl exceeds sun_path
//
// Service names and instance ids are 1-128 and 1-64 bytes of [A-Za-z0-9._-], not
// starting with '.' or '-', so they are single path components that cannot collide with
// the hidden names. A socket's short name is 16 hex digits of SHA-256("service/id").
// A descriptor records socket paths relative to the directory and must name exactly the
// paths derived from its own service and id, so it cannot point elsewhere.
//
// # Liveness
//
// An instance is live when (1) its lock is held, tested with a non-blocking flock that
// fails with EWOULDBLOCK, and (2) its descriptor is valid, names this service and id,
// carries this boot's id, and its pid and process start time name a running process.
// A lock nobody holds means the instance is dead (the kernel drops a flock when its
// process dies, even by SIGKILL): whoever finds it sweeps it. A held lock with a
// descriptor that fails (2) is skipped (ErrStale, ErrNotPublished or a DescriptorError)
// but never removed: the files belong to the lock holder. Pids are compared in the
// reader's pid namespace, so processes sharing a directory must share that namespace
// (an instance from another one is skipped as stale, never swept while it lives).
//
// # Concurrency rules
//
// Any number of processes and goroutines may Register, Lookup and Close at once.
//
//   - Only the holder of an entry's lock writes or removes the entry's files. Register
//     and sweepers take the lock the same way (acquire): open or create the lock file,
//     flock it, then check that the path still names the file they locked; if a sweeper
//     unlinked it in between they start over on the new file. So at most one party at a
//     time acts on an id, and a sweeper can never delete a live instance's files.
//   - Files are removed descriptor first and lock file last, while holding the lock, so
//     a crash at any point leaves an entry that the next sweeper finds through its lock
//     file. Sweeping is idempotent: a second sweeper finds nothing, or a fresh lock file
//     it removes again; across concurrent Lookups exactly one reports a dead entry as
//     Swept.
//   - A sweeper holds a lock for microseconds; Register retries briefly (about a second
//     at most) before it reports ErrInstanceExists, and stops at once when the holder is
//     a live, published instance.
//   - Lock files are opened close-on-exec, so a child process never inherits a lock.
//
// A Dir holds no open files and no global state: several Dirs and Registrations may live
// in one process. A Registration's methods are safe for concurrent use.
//
// # Untrusted input
//
// Descriptors are read without following links or blocking on FIFOs, from regular files
// of at most MaxDescriptorSize bytes, and decoded strictly (Decode): one object, known
// keys spelled exactly and not repeated, values of the right types, nothing after it;
// then validated (Descriptor.Validate). A bad descriptor is reported in Lookup's skipped
// list as a *DescriptorError; nothing in this package panics on file content.
//
// # Peers
//
// PeerCred and CheckPeer read SO_PEERCRED from a connected Unix socket, so the rpc layer
// can refuse a peer that runs as another user (ErrPeerUID).
//
// Only Linux is supported: elsewhere Open and PeerCred return errors.ErrUnsupported.
package registry
