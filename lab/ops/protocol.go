// Package ops is msilab's operation catalog and its wire protocol.
//
// Every read or change made on a Windows host is a named op with JSON
// arguments and a JSON result. A batch of ops is one WinRM command: a
// constant PowerShell script (BatchScript) that imports the msilab module
// and calls its dispatcher with a JSON request read from stdin. Arguments are
// data on stdin, never spliced into script text, so a batch stays under the
// cmd.exe line limit whatever its size. Real hosts run the module's
// PowerShell functions; the simulated host recognises the same command and
// runs its Go model of each op, returning the same JSON shape.
package ops

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf16"

	"github.com/msilab/msilab/internal/textutil"
)

// ProtocolVersion is the version of the request and response documents.
const ProtocolVersion = 1

// Op is one operation in a batch.
type Op struct {
	Name string          `json:"op"`
	Args json.RawMessage `json:"args,omitempty"`
	// RequiresPrevious makes the op run only when the op before it in the
	// batch succeeded; otherwise the host skips it and answers CodeSkipped.
	// A skipped op counts as failed for the op after it, so a chain of such
	// ops stops at its first failure (stop, unregister, register: an
	// unregister after a failed stop would leave the service marked for
	// deletion, docs/evidence.md#E-service-marked-for-delete).
	RequiresPrevious bool `json:"requires_previous,omitempty"`
}

// AfterPrevious returns op set to run only when the op before it succeeded.
func (o Op) AfterPrevious() Op {
	o.RequiresPrevious = true
	return o
}

// New builds an op, encoding args as its JSON arguments.
func New(name string, args any) (Op, error) {
	op := Op{Name: name}
	if args == nil {
		return op, nil
	}
	raw, err := json.Marshal(args)
	if err != nil {
		return Op{}, fmt.Errorf("ops: encode args of %s: %w", name, err)
	}
	op.Args = raw
	return op, nil
}

// MustNew is New for args that cannot fail to encode, such as this
// package's argument structs: a failure is a bug, and panics.
func MustNew(name string, args any) Op {
	op, err := New(name, args)
	if err != nil {
		panic(err)
	}
	return op
}

// Request is what the batch script reads from stdin.
type Request struct {
	Version int `json:"v"`
	// ModuleSHA256 is the uppercase hex SHA-256 of the module the caller
	// expects on the host; the host answers ModuleMissing when it differs.
	ModuleSHA256 string `json:"module_sha256"`
	Ops          []Op   `json:"ops"`
	// Logons are passwords of accounts that ops log on as (msi.install
	// and msi.uninstall with LogonInteractive, user.logon). They travel
	// beside the ops, never in an op's arguments, so that a batch as msilab
	// records it (results, evidence, journal) holds no password.
	Logons []Logon `json:"logons,omitempty"`
	// ID names a batch that changes the host (BatchID): the host records
	// its response under the ID before answering, and a resend with the
	// same ID gets that response back without running the ops again.
	ID string `json:"id,omitempty"`
	// Forget lists ID prefixes whose records the host deletes before the
	// ops run (a run's records, when it ends).
	Forget []string `json:"forget,omitempty"`
}

// Logon is an account's password. User is the account's name, bare or as
// HOST\name or .\name (the host compares the name after the last '\').
type Logon struct {
	User     string `json:"user"`
	Password string `json:"password"`
}

// String never shows the password.
func (l Logon) String() string { return l.User + ":<password>" }

// GoString never shows the password either (%#v).
func (l Logon) GoString() string {
	return "ops.Logon{User: " + fmt.Sprintf("%q", l.User) + ", Password: <hidden>}"
}

// Response is the single JSON document the batch writes to stdout.
type Response struct {
	Version int `json:"v"`
	// Module is "missing" when the host's module is absent or differs from
	// the requested hash; no op ran then.
	Module  string   `json:"module,omitempty"`
	Results []Result `json:"results,omitempty"`
	// HostDir is set when the host folder is not safe to use; no op ran.
	HostDir *HostDirError `json:"host_dir,omitempty"`
	// Error is set when the host cannot run the module at all, checked
	// before anything is imported: NotSupported for PowerShell in
	// Constrained Language Mode or an execution policy set by Group Policy
	// that stops an unsigned module (docs/evidence.md#E-module-policy). No
	// op ran then.
	Error *Error `json:"error,omitempty"`
	// NoRequest says why the host read no request (empty stdin); no op ran.
	NoRequest string `json:"no_request,omitempty"`
	// Batch is how the host handled a request with an ID (nil: none).
	Batch *BatchStatus `json:"batch,omitempty"`
}

// ErrNoRequest is the error of a batch whose request the host did not
// get (its stdin was empty): no op ran, and the module is not at fault.
var ErrNoRequest = errors.New("ops: the host read no batch request")

// ModuleMissing is Response.Module when the module must be (re)installed.
const ModuleMissing = "missing"

// Result is the outcome of one op: a value or a typed error. An op that
// failed after changing part of the host (registry.delete_key stopped part
// way) returns its value beside the error: the undo data of what it did.
type Result struct {
	Op    string          `json:"op"`
	OK    bool            `json:"ok"`
	Value json.RawMessage `json:"value,omitempty"`
	Error *Error          `json:"error,omitempty"`
}

// Decode unmarshals the op's value into v, or returns the op's error.
func (r Result) Decode(v any) error {
	if !r.OK {
		if r.Error == nil {
			return &Error{Op: r.Op, Code: CodeInternal, Message: "op failed without an error"}
		}
		e := *r.Error
		e.Op = r.Op
		return &e
	}
	if v == nil || len(r.Value) == 0 {
		return nil
	}
	if err := json.Unmarshal(r.Value, v); err != nil {
		return fmt.Errorf("ops: decode result of %s: %w", r.Op, err)
	}
	return nil
}

// Error codes shared by the PowerShell module and the simulated host.
const (
	CodeUnknownOp    = "UnknownOp"    // no op of that name
	CodeInvalidArgs  = "InvalidArgs"  // arguments missing, of the wrong type, or unknown
	CodeNotFound     = "NotFound"     // the object (file, key, service, user...) does not exist
	CodeAccessDenied = "AccessDenied" // the acting token lacks the right
	CodeConflict     = "Conflict"     // the object exists, is busy, or is in the wrong state
	CodeNotSupported = "NotSupported" // the op does not apply to this kind of host
	CodeSkipped      = "Skipped"      // not run: the op requires the previous one, which failed
	CodeInternal     = "Internal"     // anything else
)

// Error is a typed op failure.
type Error struct {
	Op      string `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
	// Win32 is the Windows error code behind the failure, when there is one.
	Win32 int `json:"win32,omitempty"`
}

func (e *Error) Error() string {
	if e.Op != "" {
		return fmt.Sprintf("op %s: %s: %s", e.Op, e.Code, e.Message)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Is makes errors.Is(err, &ops.Error{Code: ops.CodeNotFound}) match by code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && (t.Op == "" || t.Op == e.Op)
}

// SkippedError is the result of an op skipped because the op before it,
// which it requires, failed (the module writes the same message).
func SkippedError(previous string) *Error {
	return &Error{Code: CodeSkipped, Message: "not run: it requires the previous op, " + previous + ", which did not succeed"}
}

// EncodeRequest is the batch script's stdin for a batch and the logons
// its ops need: JSON in ASCII, every other character escaped as \uXXXX, so
// that its meaning does not depend on the code page powershell.exe decodes
// a redirected stdin with (the Packer provisioner's commands read it from
// a file, through cmd.exe).
func EncodeRequest(batch []Op, logons ...Logon) ([]byte, error) {
	req, err := EncodeJSON(Request{Version: ProtocolVersion, ModuleSHA256: ModuleSHA256, Ops: batch, Logons: logons})
	if err != nil {
		return nil, fmt.Errorf("ops: encode batch: %w", err)
	}
	return req, nil
}

// EncodeJSON is the one encoder of every JSON document msilab writes to a
// host's stdin (a batch's request, a download's): JSON in ASCII, every
// other character escaped as \uXXXX, whatever code page powershell.exe
// decodes stdin with. The lab session and the Packer provisioner share it
// through EncodeRequest and lab.RunBatchWith.
func EncodeJSON(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return asciiJSON(b), nil
}

// asciiJSON escapes every non-ASCII character of a JSON document as \uXXXX.
func asciiJSON(b []byte) []byte {
	var out bytes.Buffer
	for _, r := range string(b) {
		if r < 0x80 {
			out.WriteRune(r)
			continue
		}
		for _, u := range utf16.Encode([]rune{r}) {
			fmt.Fprintf(&out, `\u%04x`, u)
		}
	}
	return out.Bytes()
}

// Exchange is the client side of a batch, whatever carries it: send runs
// the batch script with req on stdin and returns its stdout; when the host
// answers that its module is missing or differs, install puts Module at
// ModulePath and the batch is sent once more. n is the number of ops.
func Exchange(req []byte, n int, send func(req []byte) ([]byte, error), install func() error) ([]Result, error) {
	for attempt := 0; ; attempt++ {
		out, err := send(req)
		if err != nil {
			return nil, err
		}
		var resp Response
		if err := json.Unmarshal(bytes.TrimSpace(out), &resp); err != nil {
			return nil, &ResponseError{Err: fmt.Errorf("batch response is not JSON (%v): %q", err, textutil.Truncate(string(out), 200))}
		}
		if resp.Error != nil {
			return nil, fmt.Errorf("ops: the host cannot run the op module: %w", resp.Error)
		}
		if resp.HostDir != nil {
			return nil, resp.HostDir
		}
		if resp.NoRequest != "" {
			return nil, fmt.Errorf("%w: %s", ErrNoRequest, resp.NoRequest)
		}
		if resp.Module == ModuleMissing {
			if attempt > 0 {
				return nil, fmt.Errorf("ops: the host still reports the op module missing after installing it at %s", ModulePath)
			}
			if err := install(); err != nil {
				return nil, fmt.Errorf("ops: install the op module at %s: %w", ModulePath, err)
			}
			continue
		}
		if resp.Batch != nil && resp.Batch.Interrupted {
			return nil, &BatchInterruptedError{ID: resp.Batch.ID}
		}
		if len(resp.Results) != n {
			return nil, &ResponseError{Err: fmt.Errorf("batch of %d ops got %d results", n, len(resp.Results))}
		}
		return resp.Results, nil
	}
}
