package sim

import (
	"context"
	"io"
	"sync"
)

// Program is what a command line runs on the simulated host. It reads
// stdin, writes stdout and stderr, and returns the exit code. It must return
// promptly once ctx is done (the client signalled terminate or deleted the shell).
type Program func(ctx context.Context, p *Proc) int

// Proc is a running program's standard streams.
type Proc struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
}

// maxPending is how much unreceived output a program may buffer before its
// writes wait for the client's next Receive (back-pressure, as a pipe).
const maxPending = 8 << 20

// process is one command: the program's goroutine, its buffered output
// awaiting Receive, and its stdin fed by Send.
type process struct {
	id     string
	cancel context.CancelFunc
	stdin  *stdinBuffer

	mu     sync.Mutex
	cond   *sync.Cond // writers waiting for the buffer to drain
	out    []byte
	errOut []byte
	exited bool
	code   int
	closed bool          // terminated: drop output, unblock writers
	wake   chan struct{} // closed and replaced whenever there is news for Receive
}

func startProcess(id string, prog Program) *process {
	ctx, cancel := context.WithCancel(context.Background())
	p := &process{id: id, cancel: cancel, stdin: newStdinBuffer(), wake: make(chan struct{})}
	p.cond = sync.NewCond(&p.mu)
	go func() {
		code := runProgram(ctx, prog, &Proc{Stdin: p.stdin, Stdout: streamWriter{p, false}, Stderr: streamWriter{p, true}})
		p.mu.Lock()
		p.exited, p.code = true, code
		p.notifyLocked()
		p.mu.Unlock()
	}()
	return p
}

// runProgram runs prog, turning a panic into exit code 1 and a stderr line
// so that a bug in one command never takes the server down.
func runProgram(ctx context.Context, prog Program, proc *Proc) (code int) {
	defer func() {
		if r := recover(); r != nil {
			_, _ = io.WriteString(proc.Stderr, "msilab simulated host: internal error in command\r\n")
			code = 1
		}
	}()
	return prog(ctx, proc)
}

type streamWriter struct {
	p      *process
	stderr bool
}

func (w streamWriter) Write(b []byte) (int, error) {
	p := w.p
	p.mu.Lock()
	defer p.mu.Unlock()
	for !p.closed && len(p.out)+len(p.errOut) > maxPending {
		p.cond.Wait()
	}
	if p.closed {
		return 0, io.ErrClosedPipe
	}
	if w.stderr {
		p.errOut = append(p.errOut, b...)
	} else {
		p.out = append(p.out, b...)
	}
	p.notifyLocked()
	return len(b), nil
}

func (p *process) notifyLocked() {
	close(p.wake)
	p.wake = make(chan struct{})
}

// take returns up to max bytes of pending output, and whether there was
// anything to say (output, or the end of the command).
func (p *process) take(max int) (receiveChunk, <-chan struct{}, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var c receiveChunk
	n := min(max, len(p.out))
	if n > 0 {
		c.stdout = append([]byte(nil), p.out[:n]...)
		p.out = p.out[n:]
		max -= n
	}
	if m := min(max, len(p.errOut)); m > 0 {
		c.stderr = append([]byte(nil), p.errOut[:m]...)
		p.errOut = p.errOut[m:]
	}
	if len(p.out) == 0 {
		p.out = nil
	}
	if len(p.errOut) == 0 {
		p.errOut = nil
	}
	p.cond.Broadcast()
	if p.exited && len(p.out) == 0 && len(p.errOut) == 0 {
		c.done, c.exitCode = true, p.code
	}
	return c, p.wake, c.done || len(c.stdout) > 0 || len(c.stderr) > 0
}

// terminate stops the program and drops its output.
func (p *process) terminate() {
	p.cancel()
	p.stdin.Close()
	p.mu.Lock()
	p.closed = true
	p.out, p.errOut = nil, nil
	p.cond.Broadcast()
	p.notifyLocked()
	p.mu.Unlock()
}

// stdinBuffer is a command's stdin: Send appends, End closes, the program
// reads. Writes never block (Windows buffers client input the same way).
type stdinBuffer struct {
	mu   sync.Mutex
	cond *sync.Cond
	buf  []byte
	eof  bool
}

func newStdinBuffer() *stdinBuffer {
	s := &stdinBuffer{}
	s.cond = sync.NewCond(&s.mu)
	return s
}

func (s *stdinBuffer) Write(b []byte) {
	s.mu.Lock()
	if !s.eof {
		s.buf = append(s.buf, b...)
	}
	s.cond.Broadcast()
	s.mu.Unlock()
}

func (s *stdinBuffer) Close() {
	s.mu.Lock()
	s.eof = true
	s.cond.Broadcast()
	s.mu.Unlock()
}

func (s *stdinBuffer) Read(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.buf) == 0 && !s.eof {
		s.cond.Wait()
	}
	if len(s.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(b, s.buf)
	s.buf = s.buf[n:]
	if len(s.buf) == 0 {
		s.buf = nil
	}
	return n, nil
}
