package ring

import (
	"sync"

	"github.com/cellsubstrate/cell/futex"
)

// Pipe is one ring inside one process: a Producer and a Consumer over a private segment,
// for streaming between goroutines and for tests. One goroutine may use the Producer
// while another uses the Consumer; Close may be called from any goroutine.
type Pipe struct {
	seg  *segment
	life life
	_    [lineSize]byte // the producer's and the consumer's fields on lines of their own
	prod Producer
	_    [lineSize]byte
	cons Consumer
	_    [lineSize]byte
	once sync.Once
	err  error
}

// NewPipe makes a Pipe whose ring has cfg.Size bytes; only Size and Spin are used.
// Outside Linux it returns errors.ErrUnsupported.
func NewPipe(cfg Config) (*Pipe, error) { return newPipe(cfg, 0) }

// newPipe starts both positions at start, so tests can begin just below 2^64.
func newPipe(cfg Config, start uint64) (*Pipe, error) {
	cfg.ReplySize = minRingSize
	r, err := cfg.resolve()
	if err != nil {
		return nil, err
	}
	seg, fd, err := createSegment(r.size0, r.size1)
	if err != nil {
		return nil, err
	}
	closeFd(fd)
	start &^= recAlign - 1
	ctl, data := seg.ring(0)
	store64(word64(ctl, ctlTail), start)
	store64(word64(ctl, ctlHead), start)
	p := &Pipe{seg: seg}
	fence := futex.FenceNone // parking at once: full-barrier publications cost less than a fence per park
	if r.spin > 0 && futex.EnableFence(futex.FenceProcess) {
		fence = futex.FenceProcess
	}
	p.prod.init(data, ctl, start, r.spin, fence, &p.life)
	p.cons.init(data, ctl, start, r.spin, fence, &p.life)
	p.life.init(func() {
		p.cons.wait.WakeAll()
		p.prod.space.WakeAll()
	})
	return p, nil
}

// Producer returns the pipe's producer.
func (p *Pipe) Producer() *Producer { return &p.prod }

// Consumer returns the pipe's consumer.
func (p *Pipe) Consumer() *Consumer { return &p.cons }

// Close takes the pipe down: blocked calls return ErrClosed and the shared memory is
// released as in Conn.Close. Records committed before Close are not delivered after it.
func (p *Pipe) Close() error {
	p.once.Do(func() {
		p.life.fail(ErrClosed)
		p.life.drain(timeDrain)
		p.life.retired.Store(true)
		p.err = retire(p.seg, p)
	})
	return p.err
}
