package rpc

// SetCloseWaitHook makes the shared-memory client's close call f each time it is about
// to wait for the calls in progress to end; nil removes it.
func SetCloseWaitHook(f func()) { testHookCloseWait = f }
