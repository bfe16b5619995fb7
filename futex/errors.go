package futex

import "errors"

// ErrTimeout occurs when Wait's timeout expired before a wake-up.
var ErrTimeout = errors.New("futex: timeout")

// ErrFault occurs when the address given to Wait or Wake is not mapped (EFAULT).
var ErrFault = errors.New("futex: bad address")

// ErrInvalid occurs when the kernel rejects the arguments (EINVAL), for example a word
// that is not 4-byte aligned.
var ErrInvalid = errors.New("futex: invalid argument")
