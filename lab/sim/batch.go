package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/win"
)

// simOp is the simulated implementation of one catalog op.
type simOp func(ctx context.Context, h *Host, s Session, args json.RawMessage) (any, error)

// simOps is the simulated op catalog, filled by each op's file.
var simOps = map[string]simOp{}

func registerOp(name string, fn simOp) {
	if _, dup := simOps[name]; dup {
		panic("sim: op registered twice: " + name)
	}
	simOps[name] = fn
}

// SupportedOps lists the ops the simulated host implements.
func SupportedOps() []string {
	names := make([]string, 0, len(simOps))
	for n := range simOps {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// runBatch is the simulated twin of ops.BatchScript: it requires the same
// module on disk, then runs each op against the host.
func (h *Host) runBatch(s Session) Program {
	return func(ctx context.Context, p *Proc) int {
		raw, err := io.ReadAll(p.Stdin)
		if err != nil {
			return 1
		}
		// As batch.ps1: empty stdin (or JSON without ops) is a request not
		// read, answered as such; malformed JSON stops ConvertFrom-Json.
		resp := &ops.Response{Version: ops.ProtocolVersion}
		var fields map[string]json.RawMessage
		if t := bytes.TrimSpace(raw); len(t) == 0 || json.Unmarshal(t, &fields) == nil && fields["ops"] == nil {
			resp.NoRequest = "stdin held no JSON batch request"
			out, _ := json.Marshal(resp)
			p.Stdout.Write(out)
			return 0
		}
		var req ops.Request
		if err := json.Unmarshal(raw, &req); err != nil {
			writeCLIXMLError(p.Stderr, "ConvertFrom-Json : Invalid JSON primitive: "+err.Error())
			return 1
		}
		mod, err := h.readFile(s, ops.ModulePath)
		blocked := h.moduleBlocked(s)
		switch {
		case blocked != nil:
			resp.Error = blocked
		case err != nil || !strings.EqualFold(fileHash(mod), req.ModuleSHA256):
			resp.Module = ops.ModuleMissing
		case h.hostDirProblem() != "":
			// The module checks the host folder before any op.
			resp.HostDir = &ops.HostDirError{Path: ops.HostDir, Problem: h.hostDirProblem()}
		case len(req.Forget) > 0 || req.ID != "":
			// Batches with an ID run at most once (batchrecord.go).
			var err error
			if resp, err = h.runRecorded(ctx, s, req); err != nil {
				writeCLIXMLError(p.Stderr, err.Error())
				return 1
			}
			if resp == nil { // killed mid-batch: no answer, no record
				return 1
			}
		default:
			resp.Results = h.runOps(ctx, s, req)
		}
		out, err := json.Marshal(resp)
		if err != nil {
			writeCLIXMLError(p.Stderr, err.Error())
			return 1
		}
		p.Stdout.Write(out)
		return 0
	}
}

// PowerShell's Group Policy key (the "Turn on Script Execution" policy)
// under HKLM (MachinePolicy) and the user's HKCU (UserPolicy).
const psPolicyKey = `SOFTWARE\Policies\Microsoft\Windows\PowerShell`

// moduleBlocked is the batch script's first check, made before it reads
// anything: PowerShell in Constrained Language Mode (Options.LanguageMode),
// or an execution policy set by Group Policy that stops the unsigned
// module (AllSigned, or Restricted when the policy turns scripts off) is
// NotSupported, naming it (docs/evidence.md#E-module-policy).
func (h *Host) moduleBlocked(s Session) *ops.Error {
	if mode := h.opts.LanguageMode; mode != "" && mode != LanguageFull {
		return &ops.Error{Code: ops.CodeNotSupported, Message: "PowerShell runs in " + mode + " mode (a WDAC or AppLocker policy): the msilab module cannot be imported"}
	}
	tok, err := h.token(s)
	if err != nil {
		return nil
	}
	for _, scope := range []struct{ name, key string }{{"MachinePolicy", `HKLM\` + psPolicyKey}, {"UserPolicy", `HKCU\` + psPolicyKey}} {
		policy := h.gpoExecutionPolicy(tok, scope.key)
		if policy == "" {
			continue
		}
		if policy == "AllSigned" || policy == "Restricted" {
			return &ops.Error{Code: ops.CodeNotSupported, Message: "execution policy " + policy + " is set by Group Policy (" + scope.name +
				"): it overrides -ExecutionPolicy Bypass and stops the unsigned msilab module"}
		}
		return nil
	}
	return nil
}

// gpoExecutionPolicy is the policy a "Turn on Script Execution" key sets
// ("" when it sets none): EnableScripts 0 is Restricted; 1 takes
// ExecutionPolicy (R: the policy's registry values).
func (h *Host) gpoExecutionPolicy(tok *win.Token, key string) string {
	enable, err := h.m.Registry().GetValue(tok, key, "EnableScripts")
	if err != nil {
		return ""
	}
	if enable.Num == 0 {
		return "Restricted"
	}
	v, err := h.m.Registry().GetValue(tok, key, "ExecutionPolicy")
	if err != nil {
		return ""
	}
	for _, p := range []string{"AllSigned", "RemoteSigned", "Unrestricted", "Bypass"} {
		if strings.EqualFold(v.Str, p) {
			return p
		}
	}
	return ""
}

// runOps runs a request's ops in order, with its logons.
func (h *Host) runOps(ctx context.Context, s Session, req ops.Request) []ops.Result {
	results := make([]ops.Result, 0, len(req.Ops))
	ctx = withLogons(ctx, req.Logons)
	for i, op := range req.Ops {
		if op.RequiresPrevious && i > 0 && !results[i-1].OK {
			results = append(results, ops.Result{Op: op.Name, Error: ops.SkippedError(req.Ops[i-1].Name)})
			continue
		}
		results = append(results, h.runOp(ctx, s, op))
	}
	return results
}

func (h *Host) runOp(ctx context.Context, s Session, op ops.Op) ops.Result {
	res := ops.Result{Op: op.Name}
	fn, ok := simOps[op.Name]
	if !ok {
		res.Error = &ops.Error{Code: ops.CodeUnknownOp, Message: fmt.Sprintf("unknown op '%s'", op.Name)}
		return res
	}
	value, err := fn(ctx, h, s, op.Args)
	if err != nil {
		var oe *ops.Error
		if !errors.As(err, &oe) {
			oe = &ops.Error{Code: ops.CodeInternal, Message: err.Error()}
		}
		res.Error = oe
		var partial *partialChange
		if errors.As(err, &partial) { // the undo data of what it did change
			res.Value, _ = json.Marshal(value)
		}
		return res
	}
	if res.Value, err = json.Marshal(value); err != nil {
		res.Error = &ops.Error{Code: ops.CodeInternal, Message: err.Error()}
		return res
	}
	res.OK = true
	return res
}

// decodeArgs strictly decodes an op's arguments: unknown fields and wrong
// types are InvalidArgs errors.
func decodeArgs(raw json.RawMessage, v any) error {
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		raw = json.RawMessage("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return &ops.Error{Code: ops.CodeInvalidArgs, Message: err.Error()}
	}
	return nil
}

// opCall is what a typed op runs with: the host and the session's token.
type opCall struct {
	h   *Host
	tok *win.Token
}

// typed makes a simOp from a function of decoded arguments: the arguments
// are decoded strictly, then checked by check (nil: no check), then fn runs
// with the session's token.
func typed[A any](check func(A) error, fn func(c opCall, a A) (any, error)) simOp {
	return func(_ context.Context, h *Host, s Session, raw json.RawMessage) (any, error) {
		var a A
		if err := decodeArgs(raw, &a); err != nil {
			return nil, err
		}
		if check != nil {
			if err := check(a); err != nil {
				return nil, err
			}
		}
		tok, err := h.token(s)
		if err != nil {
			return nil, opError(err)
		}
		return fn(opCall{h: h, tok: tok}, a)
	}
}

// noArgs is the argument type of ops that take none.
type noArgs struct{}

// partialChange is the error of an op that changed part of the host
// before failing: its result carries the op's value beside the error.
type partialChange struct{ err *ops.Error }

func (p *partialChange) Error() string { return p.err.Error() }
func (p *partialChange) Unwrap() error { return p.err }
