// Package lab is how msilab talks to Windows hosts, real or simulated: a
// Session over WinRM (github.com/masterzen/winrm) that runs commands, op
// batches, and moves files.
package lab

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"net"
	"strings"
	"sync"

	"github.com/masterzen/winrm"
	"github.com/msilab/msilab/internal/textutil"
	"github.com/msilab/msilab/lab/ops"
)

// Session talks to one host over one reused WinRM shell. Its methods are
// safe for concurrent use; commands run one at a time.
type Session interface {
	// Run runs a command line. A non-zero exit returns the output and an *ExitError.
	Run(ctx context.Context, cmd Command) (*Output, error)
	// RunBatch runs ops as one command, installing the op module first if
	// the host's copy is missing or differs.
	RunBatch(ctx context.Context, batch []ops.Op) ([]ops.Result, error)
	// Upload writes src to the host at dst, checked by hash.
	Upload(ctx context.Context, src io.Reader, dst string) (*FileInfo, error)
	// Download copies the host's src into dst, checked by hash.
	Download(ctx context.Context, src string, dst io.Writer) (*FileInfo, error)
	Close() error
}

// Command is a command line and optional streams.
type Command struct {
	Line  string
	Stdin io.Reader // nil: no input
	// Stdout and Stderr, when set, receive output as it arrives instead of Output.
	Stdout, Stderr io.Writer
	// Recorded: the host records the command's outcome under an ID (a
	// batch, lab.WithBatchID) and its caller resends it on a new shell.
	// When the end of its input may not have arrived, it is left to end on
	// the host (its shell is deleted once the resend is answered) instead
	// of being terminated: it may be running the batch the resend waits for.
	Recorded bool
}

// Output is what a command printed and how it exited.
type Output struct {
	Stdout, Stderr []byte
	ExitCode       int
}

// FileInfo describes a transferred file.
type FileInfo struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// envelopeSize is the largest envelope a session sends or accepts: Windows'
// default MaxEnvelopeSizekb (500 KB).
const envelopeSize = 500 * 1024

// stdinChunk is the raw bytes per Send, so that its base64 and the envelope
// stay under envelopeSize.
const stdinChunk = (envelopeSize - 8192) / 4 * 3

type winrmSession struct {
	ep     Endpoint
	client *winrm.Client
	tr     *transport

	mu     sync.Mutex
	shell  *winrm.Shell
	closed bool
	// stale are shells left by resends (resend.go), deleted once the
	// batch is answered: deleting one earlier would kill a batch still
	// running in it. staleTr are their transports.
	stale   []*winrm.Shell
	staleTr []*transport
}

var _ Session = (*winrmSession)(nil)

// Dial connects to ep and opens the session's shell. It fails with
// *UnreachableError, *AuthError, *WSManFault or *TransportError.
func Dial(ctx context.Context, ep Endpoint) (Session, error) {
	ep = ep.withDefaults()
	if err := ep.validate(); err != nil {
		return nil, err
	}
	// Probe the port first, so that ctx bounds connecting.
	d := net.Dialer{Timeout: ep.ConnectTimeout}
	conn, err := d.DialContext(ctx, "tcp", ep.Addr())
	if err != nil {
		return nil, &UnreachableError{Addr: ep.Addr(), Err: err}
	}
	conn.Close()
	tr, err := newTransport(ep)
	if err != nil {
		return nil, err
	}
	params := winrm.NewParameters(isoDuration(ep.OperationTimeout.Seconds()), "en-US", envelopeSize)
	params.TransportDecorator = func() winrm.Transporter { return tr }
	client, err := winrm.NewClientWithParameters(&winrm.Endpoint{Host: ep.Host, Port: ep.Port, HTTPS: ep.HTTPS}, ep.User, ep.Password, params)
	if err != nil {
		return nil, fmt.Errorf("lab: winrm client: %w", err)
	}
	s := &winrmSession{ep: ep, client: client, tr: tr}
	if s.shell, err = client.CreateShell(); err != nil {
		return nil, err
	}
	return s, nil
}

func isoDuration(seconds float64) string { return fmt.Sprintf("PT%.3fS", seconds) }

func (s *winrmSession) Run(ctx context.Context, cmd Command) (*Output, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.run(ctx, cmd)
}

func (s *winrmSession) run(ctx context.Context, cmd Command) (*Output, error) {
	if s.closed {
		return nil, ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.tr.pipeStdin.Store(cmd.Stdin != nil)
	c, err := s.shell.ExecuteWithContext(ctx, cmd.Line)
	var fault *WSManFault
	if errors.As(err, &fault) && fault.Code == FaultInvalidSelectors {
		// The shell expired on the host (idle timeout, service restart): open another once.
		if s.shell, err = s.client.CreateShell(); err == nil {
			c, err = s.shell.ExecuteWithContext(ctx, cmd.Line)
		}
	}
	if err != nil {
		return nil, err
	}
	var out Output
	stdout, stderr := cmd.Capture(&out)
	// masterzen/winrm looks at ctx only between Receives, and a Receive is
	// held up to the operation timeout: terminate the command ourselves.
	stopWatch := context.AfterFunc(ctx, func() { _ = c.Close() })
	// stdin is not waited for: once the command has ended, a caller's
	// reader that blocks must not block Run (the goroutine ends when it
	// returns). A Send that gets no answer (a dropped connection) ends the
	// input: a program that got all of it runs to its end (a batch the host
	// records, which a resend then finds), one that did not reads a cut
	// input and fails before it acts. When the end of the input may not
	// have arrived either, a Recorded command is left to its shell (Run
	// returns; the resend deletes that shell once answered) and any other
	// is ended: it may wait for its input forever. A Send the host answers
	// with a fault is not that: the command ended before its input.
	var stdinMu sync.Mutex
	var stdinErr error
	abandon := make(chan struct{})
	if cmd.Stdin != nil {
		go func() {
			var fault *WSManFault
			if err := sendStdin(c, cmd.Stdin); err != nil && !errors.As(err, &fault) {
				stdinMu.Lock()
				stdinErr = err
				stdinMu.Unlock()
				if cerr := c.Stdin.Close(); cerr != nil && !errors.As(cerr, &fault) {
					if cmd.Recorded {
						close(abandon)
					} else {
						_ = c.Close()
					}
				}
			}
		}()
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _, _ = io.Copy(stdout, c.Stdout) }()
	go func() { defer wg.Done(); _, _ = io.Copy(stderr, c.Stderr) }()
	ended := make(chan struct{})
	go func() { c.Wait(); wg.Wait(); close(ended) }()
	select {
	case <-ended:
	case <-abandon: // its Receives end when its shell is deleted
		stopWatch()
		stdinMu.Lock()
		serr := stdinErr
		stdinMu.Unlock()
		return nil, &TransportError{URL: s.ep.URL(), Err: fmt.Errorf("sending stdin (the command is left to its shell): %w", serr)}
	}
	// A command whose Receive was lost may still run on the host: it is
	// left to end there (a resend of a batch waits for it), not terminated.
	if stopWatch() && !Resendable(c.Error()) {
		_ = c.Close()
	}
	out.ExitCode = c.ExitCode()
	if err := ctx.Err(); err != nil {
		return &out, err
	}
	stdinMu.Lock()
	serr := stdinErr
	stdinMu.Unlock()
	if serr != nil {
		return &out, &TransportError{URL: s.ep.URL(), Err: fmt.Errorf("sending stdin: %w", serr)}
	}
	if err := c.Error(); err != nil {
		return &out, err
	}
	return cmd.Finish(&out)
}

// sendStdin streams r in envelope-sized Sends, then ends the stream.
func sendStdin(c *winrm.Command, r io.Reader) error {
	buf := make([]byte, stdinChunk)
	for {
		n, err := io.ReadFull(r, buf)
		if n > 0 {
			if _, werr := c.Stdin.Write(buf[:n]); werr != nil {
				return werr
			}
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return c.Stdin.Close()
		}
		if err != nil {
			_ = c.Stdin.Close()
			return err
		}
	}
}

// Capture returns the writers a Session's Run gives the command's output
// streams: cmd.Stdout when set, else out.Stdout; cmd.Stderr when set, and
// out.Stderr too. What out keeps of a stream is capped at maxBuffered.
func (cmd Command) Capture(out *Output) (stdout, stderr io.Writer) {
	stdout, stderr = &limitedBuffer{buf: &out.Stdout}, &limitedBuffer{buf: &out.Stderr}
	if cmd.Stdout != nil {
		stdout = cmd.Stdout
	}
	if cmd.Stderr != nil {
		stderr = io.MultiWriter(cmd.Stderr, stderr)
	}
	return stdout, stderr
}

// Finish is how a Session's Run returns out once the command has exited:
// with an *ExitError when its exit code is not 0.
func (cmd Command) Finish(out *Output) (*Output, error) {
	if out.ExitCode != 0 {
		return out, &ExitError{Command: cmd.Line, Code: out.ExitCode, Stderr: strings.TrimSpace(string(out.Stderr))}
	}
	return out, nil
}

// maxBuffered caps what Output keeps of a stream (callers wanting more pass Stdout).
const maxBuffered = 64 << 20

type limitedBuffer struct{ buf *[]byte }

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := maxBuffered - len(*l.buf); room > 0 {
		*l.buf = append(*l.buf, p[:min(len(p), room)]...)
	}
	return len(p), nil
}

func (s *winrmSession) RunBatch(ctx context.Context, batch []ops.Op) ([]ops.Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	if len(batch) > 0 { // a request that only forgets records is not recorded
		ctx = withNextID(ctx)
	}
	res, err := sendRecorded(ctx, len(batch) == 0 || ops.ReadOnly(batch), func() ([]ops.Result, error) {
		return RunBatchWith(ctx, batch, s.run, func(ctx context.Context) error {
			_, err := s.upload(ctx, bytes.NewReader(ops.Module), ops.ModulePath)
			return err
		})
	}, s.reconnect)
	s.dropStale()
	if err != nil {
		return nil, fmt.Errorf("lab: %s: %w", s.ep.Host, err)
	}
	return res, nil
}

// RunBatchWith is Session.RunBatch over any transport (ops.Exchange):
// run runs a command as Session.Run does (a Session calls it holding its
// own lock), and install puts ops.Module at ops.ModulePath when the host
// asks for it. The Packer provisioner's session runs its batches with it.
//
// The request carries the logons of ctx (WithLogons) beside the ops.
func RunBatchWith(ctx context.Context, batch []ops.Op, run func(context.Context, Command) (*Output, error), install func(context.Context) error) ([]ops.Result, error) {
	forget, _ := ctx.Value(forgetKey{}).([]string)
	req, err := ops.EncodeBatch(ops.Request{Ops: batch, Logons: LogonsFrom(ctx), ID: BatchIDFrom(ctx), Forget: forget})
	if err != nil {
		return nil, err
	}
	send := func(req []byte) ([]byte, error) {
		out, err := run(ctx, Command{Line: batchCommand, Stdin: bytes.NewReader(req), Recorded: BatchIDFrom(ctx) != ""})
		if err != nil {
			return nil, err
		}
		noteReplayed(ctx, out.Stdout)
		return out.Stdout, nil
	}
	return ops.Exchange(req, len(batch), send, func() error { return install(ctx) })
}

// logonsKey is the context key of WithLogons.
type logonsKey struct{}

// WithLogons returns a context whose op batches carry the passwords of
// accounts their ops log on as (ops.Request.Logons): on stdin, beside the
// ops, so never in a command line, a script or a recorded batch. Later
// logons of the same account win.
func WithLogons(ctx context.Context, logons ...ops.Logon) context.Context {
	all := append(append([]ops.Logon(nil), LogonsFrom(ctx)...), logons...)
	return context.WithValue(ctx, logonsKey{}, all)
}

// LogonsFrom returns the logons WithLogons put in ctx.
func LogonsFrom(ctx context.Context) []ops.Logon {
	l, _ := ctx.Value(logonsKey{}).([]ops.Logon)
	return l
}

var (
	batchCommand    = ops.EncodedCommand(ops.BatchScript)
	uploadCommand   = ops.EncodedCommand(ops.UploadScript)
	downloadCommand = ops.EncodedCommand(ops.DownloadScript)
)

func (s *winrmSession) Upload(ctx context.Context, src io.Reader, dst string) (*FileInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.upload(ctx, src, dst)
}

func (s *winrmSession) upload(ctx context.Context, src io.Reader, dst string) (*FileInfo, error) {
	if err := CheckHostDir(ctx, s.run); err != nil {
		return nil, fmt.Errorf("lab: upload %s: %w", dst, err)
	}
	pr, pw := io.Pipe()
	sum := NewDigest()
	srcErr := make(chan error, 1)
	go func() {
		err := writeUploadStream(pw, dst, io.TeeReader(src, sum))
		srcErr <- err
		pw.CloseWithError(err)
	}()
	out, err := s.run(ctx, Command{Line: uploadCommand, Stdin: pr})
	pr.Close()
	if err != nil {
		select {
		case serr := <-srcErr:
			if serr != nil {
				return nil, fmt.Errorf("lab: upload %s: reading the source: %w", dst, serr)
			}
		default:
		}
		return nil, fmt.Errorf("lab: upload %s: %w", dst, uploadError(err))
	}
	var info FileInfo
	if err := json.Unmarshal(bytes.TrimSpace(out.Stdout), &info); err != nil {
		return nil, fmt.Errorf("lab: upload %s: bad reply %q", dst, textutil.Truncate(string(out.Stdout), 200))
	}
	if want := sum.SHA256(); !strings.EqualFold(info.SHA256, want) {
		return nil, &IntegrityError{Path: dst, Want: want, Got: info.SHA256}
	}
	return &info, nil
}

// writeUploadStream writes the upload protocol: header, base64 lines, trailer.
func writeUploadStream(w io.Writer, dst string, src io.Reader) error {
	hdr, err := ops.EncodeJSON(map[string]string{"path": dst}) // ASCII, as a batch's request
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(w, "%s\n", hdr); err != nil {
		return err
	}
	sum := NewDigest()
	buf := make([]byte, stdinChunk/4*3-3) // one base64 line per Send
	line := make([]byte, base64.StdEncoding.EncodedLen(len(buf))+1)
	for {
		n, err := io.ReadFull(io.TeeReader(src, sum), buf)
		if n > 0 {
			base64.StdEncoding.Encode(line, buf[:n])
			enc := base64.StdEncoding.EncodedLen(n)
			line[enc] = '\n'
			if _, werr := w.Write(line[:enc+1]); werr != nil {
				return werr
			}
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return err
		}
	}
	trailer, err := ops.EncodeJSON(map[string]any{"size": sum.Size(), "sha256": sum.SHA256()})
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", trailer)
	return err
}

// Digest counts and hashes (SHA-256) what is written to it: the size and
// hash of a transfer, to check against the host's (FileInfo, IntegrityError).
type Digest struct {
	sum  hash.Hash
	size int64
}

// NewDigest is an empty Digest.
func NewDigest() *Digest { return &Digest{sum: sha256.New()} }

func (d *Digest) Write(p []byte) (int, error) {
	d.sum.Write(p)
	d.size += int64(len(p))
	return len(p), nil
}

// Size is the number of bytes written.
func (d *Digest) Size() int64 { return d.size }

// SHA256 is the uppercase hex SHA-256 of the bytes written, as the op
// module writes it.
func (d *Digest) SHA256() string { return strings.ToUpper(hex.EncodeToString(d.sum.Sum(nil))) }

func (s *winrmSession) Download(ctx context.Context, src string, dst io.Writer) (*FileInfo, error) {
	req, _ := ops.EncodeJSON(map[string]string{"path": src}) // ASCII, as a batch's request
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	// A download only reads: one whose answer is lost or cut is sent again
	// (counted as a batch's resends), each try into a buffer of its own,
	// so dst gets only a whole, checked file.
	var buf bytes.Buffer
	var info *FileInfo
	_, err := sendRecorded(ctx, true, func() ([]ops.Result, error) {
		buf.Reset()
		dec := &downloadDecoder{dst: &buf, sum: NewDigest()}
		if _, err := s.run(ctx, Command{Line: downloadCommand, Stdin: bytes.NewReader(req), Stdout: dec}); err != nil {
			return nil, err
		}
		// The command ended well but its output is not whole: an answer
		// cut on the way, as a batch's (resendable).
		if err := dec.finish(); err != nil {
			return nil, &ops.ResponseError{Err: err}
		}
		got := dec.sum.SHA256()
		if !strings.EqualFold(got, dec.header.SHA256) || dec.sum.Size() != dec.header.Size {
			return nil, &ops.ResponseError{Err: &IntegrityError{Path: src, Want: dec.header.SHA256, Got: got}}
		}
		info = &FileInfo{Path: src, Size: dec.sum.Size(), SHA256: got}
		return nil, nil
	}, s.reconnect)
	s.dropStale()
	if err != nil {
		return nil, fmt.Errorf("lab: download %s: %w", src, err)
	}
	if _, err := dst.Write(buf.Bytes()); err != nil {
		return nil, fmt.Errorf("lab: download %s: %w", src, err)
	}
	return info, nil
}

// downloadDecoder parses the download protocol as it streams in.
type downloadDecoder struct {
	dst     io.Writer
	sum     *Digest
	partial []byte
	header  *FileInfo
	err     error
}

func (d *downloadDecoder) Write(p []byte) (int, error) {
	d.partial = append(d.partial, p...)
	for d.err == nil {
		i := bytes.IndexByte(d.partial, '\n')
		if i < 0 {
			break
		}
		d.line(bytes.TrimSpace(d.partial[:i]))
		d.partial = d.partial[i+1:]
	}
	return len(p), nil // keep draining the command even after an error
}

func (d *downloadDecoder) line(l []byte) {
	if len(l) == 0 {
		return
	}
	if d.header == nil {
		d.header = &FileInfo{}
		if err := json.Unmarshal(l, d.header); err != nil {
			d.err = fmt.Errorf("bad header line %q", textutil.Truncate(string(l), 100))
		}
		return
	}
	raw := make([]byte, base64.StdEncoding.DecodedLen(len(l)))
	n, err := base64.StdEncoding.Decode(raw, l)
	if err != nil {
		d.err = fmt.Errorf("bad base64 line: %w", err)
		return
	}
	d.sum.Write(raw[:n])
	if _, err := d.dst.Write(raw[:n]); err != nil {
		d.err = err
	}
}

func (d *downloadDecoder) finish() error {
	if d.err == nil && len(bytes.TrimSpace(d.partial)) > 0 {
		d.line(bytes.TrimSpace(d.partial))
	}
	if d.err == nil && d.header == nil {
		d.err = errors.New("no output")
	}
	return d.err
}

func (s *winrmSession) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	err := s.shell.Close()
	s.tr.closeIdle() // its keep-alive connections would otherwise stay open
	return err
}
