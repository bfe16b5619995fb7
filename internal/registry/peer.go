package registry

import (
	"net"
	"os"
)

// CheckPeer returns the credentials of c's peer and, when the peer runs under another
// uid than this process, a *PeerUIDError (errors.Is(err, ErrPeerUID)). On platforms
// without SO_PEERCRED it returns errors.ErrUnsupported. It is safe for concurrent use.
func CheckPeer(c *net.UnixConn) (Cred, error) {
	cr, err := PeerCred(c)
	if err != nil {
		return cr, err
	}
	if want := os.Getuid(); int(cr.UID) != want {
		return cr, &PeerUIDError{Peer: cr, Want: want}
	}
	return cr, nil
}
