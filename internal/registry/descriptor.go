package registry

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
// MaxDescriptorSize bytes holding exactly one JSON object with known keys spelled exactly,
// none repeated, values of the right types, and nothing after it. Any failure is a
// *DescriptorError; Decode never panics. It is safe for concurrent use.
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
	fields, err := strictObject(b, descriptorKeys)
	if err != nil {
		return err
	}
	targets := map[string]any{
		"v": &d.Version, "service": &d.Service, "instance": &d.Instance, "pid": &d.PID,
		"start": &d.StartTime, "boot": &d.BootID, "protocol": &d.Protocol, "schema": &d.Schema,
		"control": &d.Control, "unix": &d.Unix, "tcp": &d.TCP,
	}
	for k, raw := range fields {
		if k == "methods" {
			if d.Methods, err = decodeMethods(raw); err != nil {
				return err
			}
			continue
		}
		if err := json.Unmarshal(raw, targets[k]); err != nil {
			return fmt.Errorf("field %q: %w", k, err)
		}
	}
	return nil
}

func decodeMethods(raw []byte) ([]Method, error) {
	var elems []json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil {
		return nil, fmt.Errorf("field \"methods\": %w", err)
	}
	if len(elems) > MaxMethods {
		return nil, fmt.Errorf("%d methods, limit %d", len(elems), MaxMethods)
	}
	if len(elems) == 0 {
		return nil, nil
	}
	ms := make([]Method, len(elems))
	for i, e := range elems {
		f, err := strictObject(e, methodKeys)
		if err != nil {
			return nil, fmt.Errorf("method %d: %w", i, err)
		}
		if err := json.Unmarshal(f["name"], &ms[i].Name); err != nil {
			return nil, fmt.Errorf("method %d name: %w", i, err)
		}
		if err := json.Unmarshal(f["fp"], &ms[i].Fingerprint); err != nil {
			return nil, fmt.Errorf("method %d fp: %w", i, err)
		}
	}
	return ms, nil
}

// strictObject checks that b is one JSON object whose keys are all in known (exact
// spelling), each present exactly once, with nothing but white space after it, and
// returns the raw value of every key. Keys missing from b map to "null".
func strictObject(b []byte, known []string) (map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if tok != json.Delim('{') {
		return nil, errors.New("not a JSON object")
	}
	out := make(map[string]json.RawMessage, len(known))
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		k, _ := tok.(string)
		if !contains(known, k) {
			return nil, fmt.Errorf("unknown field %q", k)
		}
		if _, dup := out[k]; dup {
			return nil, fmt.Errorf("field %q repeated", k)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("field %q: %w", k, err)
		}
		out[k] = raw
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the object")
	}
	for _, k := range known {
		if _, ok := out[k]; !ok {
			out[k] = json.RawMessage("null")
		}
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
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
