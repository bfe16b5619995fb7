package netpath

import (
	"fmt"
	"strings"
)

// splitAddr parses "tcp://host:port" or "unix:///path" into a net network and address.
func splitAddr(addr string) (network, address string, err error) {
	switch {
	case strings.HasPrefix(addr, "tcp://"):
		network, address = "tcp", addr[len("tcp://"):]
	case strings.HasPrefix(addr, "unix://"):
		network, address = "unix", addr[len("unix://"):]
	default:
		return "", "", fmt.Errorf("%w: %q (want tcp://host:port or unix:///path)", ErrAddress, addr)
	}
	if address == "" {
		return "", "", fmt.Errorf("%w: %q has no host or path", ErrAddress, addr)
	}
	return network, address, nil
}
