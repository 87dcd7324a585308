package provisioner

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"

	packersdk "github.com/hashicorp/packer-plugin-sdk/packer"

	"github.com/msilab/msilab/internal/textutil"
	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/lab/ops"
)

// commSession is a lab.Session over the communicator Packer gives the
// provisioner: the provisioner reaches the machine through Packer's own
// connection, never a second one, and speaks the same op protocol as the
// rest of msilab (so faults.RunProbe and lab.EnsureFile work on it).
//
// Packer's WinRM communicator does not send RemoteCmd.Stdin (it runs
// commands with masterzen/winrm's RunWithContext, which sends no input),
// and the op protocol passes its request on stdin. So a command's stdin
// travels as a file: uploaded with the communicator (winrmcp), then given
// to the command with cmd.exe's `<`, since WinRM runs every command line
// through cmd.exe. The file lives in the WinRM user's own %TEMP% and is
// overwritten by the next command's input.
type commSession struct {
	comm packersdk.Communicator

	mu sync.Mutex
	// moduleUploads counts the op module installs (for the UI).
	moduleUploads int
}

var _ lab.Session = (*commSession)(nil)

// stdinFile is where a command's stdin is staged: the upload path (winrmcp
// resolves it in PowerShell, which expands $env:TEMP) and the same file as
// cmd.exe reads it.
const (
	stdinUploadPath = `$env:TEMP\msilab-stdin.json`
	stdinCmdPath    = `%TEMP%\msilab-stdin.json`
)

func newCommSession(comm packersdk.Communicator) *commSession {
	return &commSession{comm: comm}
}

func (s *commSession) Run(ctx context.Context, cmd lab.Command) (*lab.Output, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.run(ctx, cmd)
}

func (s *commSession) run(ctx context.Context, cmd lab.Command) (*lab.Output, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	line := cmd.Line
	if cmd.Stdin != nil {
		if err := s.upload(ctx, stdinUploadPath, cmd.Stdin); err != nil {
			return nil, fmt.Errorf("msilab provisioner: stage the command's input in %s: %w", stdinCmdPath, err)
		}
		line += ` < "` + stdinCmdPath + `"`
	}
	var out lab.Output
	stdout, stderr := cmd.Capture(&out)
	rc := &packersdk.RemoteCmd{Command: line, Stdout: stdout, Stderr: stderr}
	if err := s.comm.Start(ctx, rc); err != nil {
		return nil, fmt.Errorf("msilab provisioner: run %q: %w", textutil.Truncate(cmd.Line, 80), err)
	}
	// Packer's RPC communicator reports the exit asynchronously.
	exited := make(chan int, 1)
	go func() { exited <- rc.Wait() }()
	select {
	case out.ExitCode = <-exited:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return cmd.Finish(&out)
}

func (s *commSession) RunBatch(ctx context.Context, batch []ops.Op) ([]ops.Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	res, err := lab.RunBatchWith(ctx, batch, s.run, func(ctx context.Context) error {
		if err := s.upload(ctx, ops.ModulePath, bytes.NewReader(ops.Module)); err != nil {
			return err
		}
		s.moduleUploads++
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("msilab provisioner: %w", err)
	}
	return res, nil
}

// Upload writes src at dst with the communicator, then checks the file's
// hash on the host (path.hash).
func (s *commSession) Upload(ctx context.Context, src io.Reader, dst string) (*lab.FileInfo, error) {
	sum := lab.NewDigest()
	s.mu.Lock()
	err := s.upload(ctx, dst, io.TeeReader(src, sum))
	s.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("msilab provisioner: upload %s: %w", dst, err)
	}
	return s.check(ctx, dst, sum.SHA256(), sum.Size())
}

// upload writes src at dst with the communicator. When that fails, it
// checks the folder where Packer's WinRM communicator stages every upload
// (winrmcp appends the file's base64 to %TEMP%\winrmcp-<uuid>.tmp with
// cmd's echo), with the same cmd builtin: a %TEMP% that cannot be written
// stops all provisioning, and says why.
func (s *commSession) upload(ctx context.Context, dst string, src io.Reader) error {
	err := s.comm.Upload(dst, src, nil)
	if err == nil {
		return nil
	}
	var stderr bytes.Buffer
	rc := &packersdk.RemoteCmd{Command: `echo msilab> "` + tempCheckPath + `"`, Stdout: io.Discard, Stderr: &stderr}
	if s.comm.Start(ctx, rc) == nil && rc.Wait() != 0 {
		return &TempError{Stderr: strings.TrimSpace(stderr.String()), Err: err}
	}
	return err
}

// tempCheckPath is the file upload's diagnosis writes.
const tempCheckPath = `%TEMP%\msilab-temp-check.tmp`

// TempError is an upload that failed because the WinRM user's %TEMP%
// cannot be written: Packer's WinRM communicator stages every upload
// there, so nothing can be provisioned.
type TempError struct {
	Stderr string // what cmd said writing there
	Err    error  // the upload's own error
}

func (e *TempError) Error() string {
	return fmt.Sprintf("the WinRM user's %%TEMP%% cannot be written (%s): Packer's WinRM communicator stages every upload "+
		"there, so nothing can be provisioned. This is the user-temp fault in the admin-elevated context (the admin's "+
		"%%TEMP%% is missing or denies writing). The upload's error: %v", e.Stderr, e.Err)
}

func (e *TempError) Unwrap() error { return e.Err }

// Download copies the host's src into dst with the communicator, then
// checks it against the file's hash on the host.
func (s *commSession) Download(ctx context.Context, src string, dst io.Writer) (*lab.FileInfo, error) {
	sum := lab.NewDigest()
	s.mu.Lock()
	err := s.comm.Download(src, io.MultiWriter(dst, sum))
	s.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("msilab provisioner: download %s: %w", src, err)
	}
	return s.check(ctx, src, sum.SHA256(), sum.Size())
}

// check compares a transferred file with the host's copy.
func (s *commSession) check(ctx context.Context, path, sha string, size int64) (*lab.FileInfo, error) {
	res, err := s.RunBatch(ctx, []ops.Op{ops.MustNew(ops.OpPathHash, ops.PathHashArgs{Path: path})})
	if err != nil {
		return nil, err
	}
	var have ops.PathHash
	if err := res[0].Decode(&have); err != nil {
		return nil, fmt.Errorf("msilab provisioner: hash %s: %w", path, err)
	}
	if !have.Exists || !strings.EqualFold(have.SHA256, sha) || have.Size != size {
		return nil, &lab.IntegrityError{Path: path, Want: sha, Got: have.SHA256}
	}
	return &lab.FileInfo{Path: path, Size: size, SHA256: sha}, nil
}

// Close does nothing: the communicator is Packer's.
func (s *commSession) Close() error { return nil }
