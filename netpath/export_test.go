//go:build unix

package netpath

// SetCork turns write corking on or off; for the benchmark comparing the two.
func SetCork(on bool) { corkEnabled = on }

// ConnTrace returns how c's event loop waited before the batch being handled
// (traceSrv*) and how long after that wait's decision the batch was read (ns).
func ConnTrace(c *Conn) (how uint8, gap, spinGap int64) { return c.waitHow, c.waitGap, c.spinGap }

// ClientTrace returns how the last lone reader of cl's connection waited (traceCli*
// bits), the nanoseconds it spent blocked in read(2), and its spin back-off state.
func ClientTrace(cl *Client) (how uint8, blocked int64, miss, skip int, gap int64, tries int) {
	cc := cl.cur.Load()
	if cc == nil {
		return 0, 0, 0, 0, 0, 0
	}
	return cc.trace, cc.traceBlk, cc.spinMiss, cc.spinSkip, cc.traceGap, cc.traceTries
}

// ClientConns returns how many connections of cl are not yet torn down.
func ClientConns(cl *Client) int {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return len(cl.conns)
}
