package rpc

// SetProdWaitHook makes a general call of the shared-memory client call f, holding the
// producer, each time it waits for a solo call to give the producer up; nil removes it.
func SetProdWaitHook(f func()) { testHookProdWait = f }
