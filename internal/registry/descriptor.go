package registry

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"strconv"
	"unicode"
	"unicode/utf8"
)

// FormatVersion is the version of the descriptor file format this package writes and
// accepts.
const FormatVersion = 1

// Limits on what a descriptor may hold. They bound the work a hostile file can cause.
const (
	MaxDescriptorSize = 64 << 10 // bytes in a descriptor file
	MaxServiceLen     = 128      // bytes in a service name
	MaxInstanceLen    = 64       // bytes in an instance id
	MaxSchemaLen      = 1024     // bytes in the schema fingerprint string
	MaxMethods        = 1024     // entries in Methods
	MaxMethodNameLen  = 256      // bytes in a method name
	maxTCPLen         = 256
	maxBootIDLen      = 64
)

// Method is one entry of a service's method table as the rpc layer fingerprints it. The
// registry treats both fields as opaque.
type Method struct {
	Name        string `json:"name"`
	Fingerprint uint64 `json:"fp"`
}

// Descriptor is the content of an instance's descriptor file. Register fills the identity
// fields (Service, Instance, PID, StartTime, BootID, Control, Unix) itself; the caller
// supplies the rest through Info. Values decoded from files have passed Validate.
type Descriptor struct {
	Version   int      `json:"v"`                 // FormatVersion
	Service   string   `json:"service"`           // service name, [A-Za-z0-9._-]
	Instance  string   `json:"instance"`          // instance id, unique within the service
	PID       int      `json:"pid"`               // the registered process
	StartTime uint64   `json:"start"`             // its start time, clock ticks since boot
	BootID    string   `json:"boot"`              // the host's boot id when it registered
	Protocol  uint32   `json:"protocol"`          // rpc protocol version, opaque here
	Schema    string   `json:"schema,omitempty"`  // schema fingerprint, opaque here
	Methods   []Method `json:"methods,omitempty"` // method fingerprints, opaque here
	Control   string   `json:"control"`           // control socket, relative to the directory
	Unix      string   `json:"unix,omitempty"`    // netpath Unix socket, relative; "" if none
	TCP       string   `json:"tcp,omitempty"`     // netpath TCP address host:port; "" if none
}

// Encode validates d and returns its JSON encoding. It is safe for concurrent use.
func (d *Descriptor) Encode() ([]byte, error) {
	if err := d.Validate(); err != nil {
		return nil, &DescriptorError{Err: err}
	}
	return json.Marshal(d)
}

var descriptorKeys = []string{"v", "service", "instance", "pid", "start", "boot", "protocol",
	"schema", "methods", "control", "unix", "tcp"}

var methodKeys = []string{"name", "fp"}

// Decode parses and validates a descriptor. It is strict: the input must be at most
// MaxDescriptorSize bytes holding exactly one JSON object with known keys spelled exactly
// (no escapes), none repeated, values of the right types, and nothing after it. Any
// failure is a *DescriptorError; Decode never panics. It is safe for concurrent use.
func Decode(b []byte) (Descriptor, error) {
	var d Descriptor
	if err := decode(b, &d); err != nil {
		return Descriptor{}, &DescriptorError{Err: err}
	}
	if err := d.Validate(); err != nil {
		return Descriptor{}, &DescriptorError{Err: err}
	}
	return d, nil
}

func decode(b []byte, d *Descriptor) error {
	if len(b) > MaxDescriptorSize {
		return fmt.Errorf("%d bytes, limit %d", len(b), MaxDescriptorSize)
	}
	if !json.Valid(b) {
		var v any
		return json.Unmarshal(b, &v) // for the syntax error's text
	}
	if err := checkKeys(b, descriptorKeys); err != nil {
		return err
	}
	// The keys are now known to be spelled exactly, so encoding/json's case-insensitive
	// matching cannot change the meaning; Unmarshal checks the types and trailing data.
	return json.Unmarshal(b, d)
}

// UnmarshalJSON decodes a method table entry with the same strictness as Decode.
func (m *Method) UnmarshalJSON(b []byte) error {
	if err := checkKeys(b, methodKeys); err != nil {
		return fmt.Errorf("method: %w", err)
	}
	type plain Method // without this method
	return json.Unmarshal(b, (*plain)(m))
}

// Validate reports the first field of d that breaks the format's rules: names in their
// charset and length, pid > 0, socket paths equal to the names this package derives from
// the service and instance (so they cannot point outside the directory), a well-formed TCP
// address, and text fields valid UTF-8 without control characters.
func (d *Descriptor) Validate() error {
	switch {
	case d.Version != FormatVersion:
		return fmt.Errorf("format version %d, want %d", d.Version, FormatVersion)
	case d.PID <= 0 || d.PID > math.MaxInt32:
		return fmt.Errorf("pid %d out of range", d.PID)
	case d.BootID == "" || len(d.BootID) > maxBootIDLen || !isText(d.BootID):
		return fmt.Errorf("boot id %q malformed", d.BootID)
	case len(d.Schema) > MaxSchemaLen || !isText(d.Schema):
		return errors.New("schema fingerprint too long or not text")
	case len(d.Methods) > MaxMethods:
		return fmt.Errorf("%d methods, limit %d", len(d.Methods), MaxMethods)
	}
	if err := checkName("service", d.Service, MaxServiceLen); err != nil {
		return err
	}
	if err := checkName("instance", d.Instance, MaxInstanceLen); err != nil {
		return err
	}
	seen := make(map[string]struct{}, len(d.Methods))
	for i, m := range d.Methods {
		if m.Name == "" || len(m.Name) > MaxMethodNameLen || !isText(m.Name) {
			return fmt.Errorf("method %d name %q malformed", i, m.Name)
		}
		if _, dup := seen[m.Name]; dup {
			return fmt.Errorf("method %q listed twice", m.Name)
		}
		seen[m.Name] = struct{}{}
	}
	if !isReserved(d.Control, d.Service, d.Instance, suffixControl) {
		return fmt.Errorf("control socket %q is not this instance's reserved path", d.Control)
	}
	if d.Unix != "" && !isReserved(d.Unix, d.Service, d.Instance, suffixNet) {
		return fmt.Errorf("unix socket %q is not this instance's reserved path", d.Unix)
	}
	if d.TCP != "" {
		if err := checkTCP(d.TCP); err != nil {
			return err
		}
	}
	return nil
}

func checkTCP(addr string) error {
	if len(addr) > maxTCPLen || !isText(addr) {
		return fmt.Errorf("tcp address %q malformed", addr)
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("tcp address %q: %w", addr, err)
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if host == "" || err != nil || p == 0 || strconv.FormatUint(p, 10) != port {
		return fmt.Errorf("tcp address %q: want host:port with port 1-65535", addr)
	}
	return nil
}

// checkName enforces the charset of file-name components: 1..max bytes of
// [A-Za-z0-9._-], not starting with '.' or '-'. Such a name cannot be "." or "..",
// cannot contain a separator, and cannot collide with the hidden temporary files.
func checkName(what, s string, max int) error {
	if s == "" || len(s) > max {
		return fmt.Errorf("%w: %s %q: length %d, want 1-%d", ErrBadName, what, s, len(s), max)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '_' || (i > 0 && (c == '.' || c == '-'))
		if !ok {
			return fmt.Errorf("%w: %s %q: byte %d not in [A-Za-z0-9._-] (or leading '.'/'-')", ErrBadName, what, s, i)
		}
	}
	return nil
}

// isText reports whether s is valid UTF-8 without control characters, so that it
// survives a JSON round trip unchanged and prints safely in error messages.
func isText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// Socket file suffixes.
const (
	suffixControl = ".ctl"
	suffixNet     = ".net"
)

// shortDir is the directory, inside the registry directory, holding the short-named
// sockets used when the natural name would not fit in a Unix socket address. Its name
// starts with '.', which no service name may.
const shortDir = ".s"

// primaryRel is the natural socket name: <service>/<instance><suffix>.
func primaryRel(service, instance, suffix string) string {
	return service + "/" + instance + suffix
}

// shortRel is the fallback socket name: .s/<16 hex digits of sha256(service/instance)><suffix>.
// A collision needs two ids with the same 64-bit hash in one directory of one user.
func shortRel(service, instance, suffix string) string {
	h := sha256.Sum256([]byte(service + "/" + instance))
	return shortDir + "/" + hex.EncodeToString(h[:8]) + suffix
}

func isReserved(rel, service, instance, suffix string) bool {
	return rel == primaryRel(service, instance, suffix) || rel == shortRel(service, instance, suffix)
}
