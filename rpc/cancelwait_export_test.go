package rpc

// HoldProducer takes the shared-memory client's producer lock, as a general call that
// waits for room in a full request ring holds it, and returns the function that gives
// it back. c must be on shared memory.
func HoldProducer(c *Client) (release func()) {
	c.shm.prodMu.Lock()
	return c.shm.unlockProd
}
