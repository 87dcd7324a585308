// Package selftest is `msilab selftest`: every op of the catalog run once
// against a host, in an order that is safe on a real host, each change
// checked by a read and undone, then the host compared with its baseline.
// Its report (op, result, duration, notes) is what to attach to a bug: the
// first thing to run on a new real host.
package selftest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/msilab/msilab/faults"
	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/remediation"
	"github.com/msilab/msilab/testpkgs"
)

// Options configure a self-test.
type Options struct {
	// AdminUser is the session's account (the host's lab.yaml user).
	AdminUser string
	// StandardUser is the lab's standard user ("" is ops.DefaultStandardUser).
	StandardUser string
	// StandardPassword is its password: user.ensure sets it (it must be the
	// one the lab uses, or the lab user's password changes) and user.logon
	// logs on with it. "" skips those two ops, saying so.
	StandardPassword string
	// Now is the clock that times the ops (default time.Now).
	Now func() time.Time
}

// Where the self-test writes, and what it names; nothing else on the host
// is created.
const (
	RegistryKey = `HKLM\SOFTWARE\msilab-selftest`
	Folder      = `C:\ProgramData\msilab\selftest`
	// NoSuchVM is the Hyper-V VM the Hyper-V ops name: none has it, so they
	// change nothing (NotSupported on a host without Hyper-V, NotFound on one with it).
	NoSuchVM = "msilab-selftest-no-such-vm"
	// Package is the test package installed and removed.
	Package = "permachine"
	// snapshot is the simulated host's state the sim ops save and restore.
	snapshot = "msilab-selftest"
)

// Row is one op's line of the report.
type Row struct {
	Op string `json:"op"`
	// Result is "ok", "expected <Code>" (an answer that is right for this
	// kind of host, such as NotSupported for sim.snapshot on a real
	// host), "skipped" (not run, and why) or "FAILED".
	Result   string        `json:"result"`
	OK       bool          `json:"ok"`
	Duration time.Duration `json:"duration_ns"`
	Notes    string        `json:"notes,omitempty"`
}

// Report is a self-test's outcome.
type Report struct {
	Host         string `json:"host"`
	OS           string `json:"os,omitempty"` // the msilab OS profile, when the host matches one
	Build        string `json:"build,omitempty"`
	MsiVersion   string `json:"msi_version,omitempty"`
	ModuleSHA256 string `json:"module_sha256"`
	Rows         []Row  `json:"rows"`
	// BackToBaseline is true when the host reads as it did before the
	// self-test (what remediation compares, and what the self-test touched).
	BackToBaseline bool `json:"back_to_baseline"`
	// Differences are the baseline lines that changed: "- before", "+ after".
	Differences []string `json:"differences,omitempty"`
	// Missing are catalog ops the self-test did not run (always empty
	// unless the catalog grew without the self-test).
	Missing []string `json:"missing,omitempty"`
	Passed  bool     `json:"passed"`
}

// Failed lists the rows that failed, as "op: notes".
func (r *Report) Failed() []string { return r.rowsWith(resultFailed) }

// Skipped lists the ops not run, as "op: why" (they do not fail the
// self-test; the report says what to give it to run them).
func (r *Report) Skipped() []string { return r.rowsWith(resultSkipped) }

func (r *Report) rowsWith(result string) []string {
	var out []string
	for _, row := range r.Rows {
		if row.Result == result {
			out = append(out, row.Op+": "+row.Notes)
		}
	}
	return out
}

// Row results other than "ok" and "expected <Code>".
const (
	resultFailed  = "FAILED"
	resultSkipped = "skipped"
)

// ErrHost is wrapped when the self-test could not run at all (the host
// cannot be reached, or cannot run the op module); an op that fails is a
// FAILED row, not an error.
var ErrHost = errors.New("selftest: the host could not be tested")

// Run runs the self-test on the host behind s, which must already hold the
// test package at lab.PackageDir (Prepare puts it there).
func Run(ctx context.Context, s lab.Session, host string, opts Options) (*Report, error) {
	if opts.StandardUser == "" {
		opts.StandardUser = ops.DefaultStandardUser
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.StandardPassword != "" {
		ctx = lab.WithLogons(ctx, ops.Logon{User: opts.StandardUser, Password: opts.StandardPassword})
	}
	t := &tester{ctx: ctx, s: s, opts: opts, rep: &Report{Host: host, ModuleSHA256: ops.ModuleSHA256}}
	target := faults.Target{AdminUser: opts.AdminUser, StandardUser: opts.StandardUser, Context: ops.ContextAdminElevated}
	before, err := t.baseline(target)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: reading its baseline: %w", ErrHost, host, err)
	}
	t.run()
	after, err := t.baseline(target)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: reading its state after the self-test: %w", ErrHost, host, err)
	}
	for _, l := range before {
		if !slices.Contains(after, l) {
			t.rep.Differences = append(t.rep.Differences, "- "+l)
		}
	}
	for _, l := range after {
		if !slices.Contains(before, l) {
			t.rep.Differences = append(t.rep.Differences, "+ "+l)
		}
	}
	t.rep.BackToBaseline = len(t.rep.Differences) == 0
	ran := map[string]bool{}
	for _, row := range t.rep.Rows {
		ran[strings.Fields(row.Op)[0]] = true
	}
	for _, spec := range ops.Catalog {
		if !ran[spec.Name] {
			t.rep.Missing = append(t.rep.Missing, spec.Name)
		}
	}
	t.rep.Passed = t.rep.BackToBaseline && len(t.rep.Missing) == 0 && len(t.rep.Failed()) == 0
	return t.rep, nil
}

// Prepare puts the test package on the host (lab.EnsureFile: skipped
// when it is there already), before the baseline is read.
func Prepare(ctx context.Context, s lab.Session) error {
	data, err := testpkgs.Bytes(Package)
	if err != nil {
		return err
	}
	if _, _, err := lab.EnsureFile(ctx, s, data, packagePath()); err != nil {
		return fmt.Errorf("%w: uploading the test package: %w", ErrHost, err)
	}
	return nil
}

func packagePath() string { return lab.PackageDir + `\` + Package + ".msi" }

// tester runs the steps and keeps the report.
type tester struct {
	ctx  context.Context
	s    lab.Session
	opts Options
	rep  *Report
	sim  bool // the host answered sim.snapshot: a simulated host
}

// baseline reads what the self-test could change: remediation's probes
// (ACLs compared by the rights they grant, services, policies, folders)
// and the self-test's own objects and msiserver's running state.
func (t *tester) baseline(target faults.Target) ([]string, error) {
	st, err := remediation.Probe(t.ctx, t.s, target)
	if err != nil {
		return nil, err
	}
	own := []ops.Op{
		ops.MustNew(ops.OpRegistryList, ops.RegistryKeyArgs{Path: RegistryKey}),
		ops.MustNew(ops.OpPathStat, ops.PathArgs{Path: Folder}),
		ops.MustNew(ops.OpServiceGet, ops.ServiceArgs{Name: ops.InstallerService}),
		ops.MustNew(ops.OpMutexGet, ops.MutexArgs{Name: mutexName}),
		ops.MustNew(ops.OpUserGet, ops.UserArgs{Name: t.opts.StandardUser}),
	}
	res, err := t.s.RunBatch(t.ctx, own)
	if err != nil {
		return nil, err
	}
	lines := st.Lines()
	for i, r := range res {
		val := string(r.Value)
		if !r.OK && r.Error != nil {
			val = "error " + r.Error.Code
		}
		if own[i].Name == ops.OpServiceGet && r.OK {
			var svc ops.Service
			if json.Unmarshal(r.Value, &svc) == nil {
				val = "state " + svc.State // the rest is in remediation's lines
			}
		}
		lines = append(lines, fmt.Sprintf("%s %s = %s", own[i].Name, own[i].Args, val))
	}
	slices.Sort(lines)
	return lines, nil
}

const mutexName = `Global\_MSIExecute`

// step sends one batch, times it and adds a row for op: check decides
// from the results (nil: every result must be ok). A transport failure is
// a FAILED row too, so that the report says how far the self-test got.
func (t *tester) step(op string, batch []ops.Op, check func([]ops.Result) (string, error)) []ops.Result {
	start := t.opts.Now()
	res, err := t.s.RunBatch(t.ctx, batch)
	row := Row{Op: op, Duration: t.opts.Now().Sub(start)}
	if err == nil && len(res) != len(batch) {
		err = fmt.Errorf("%d results for %d ops", len(res), len(batch))
	}
	if err == nil {
		if check == nil {
			check = allOK
		}
		row.Notes, err = check(res)
	}
	switch {
	case err == nil && strings.HasPrefix(row.Notes, expectedPrefix):
		code, why, _ := strings.Cut(strings.TrimPrefix(row.Notes, expectedPrefix), ": ")
		row.Result, row.OK, row.Notes = "expected "+code, true, why
	case err == nil:
		row.Result, row.OK = "ok", true
	default:
		row.Result, row.Notes = resultFailed, err.Error()
		res = nil
	}
	t.rep.Rows = append(t.rep.Rows, row)
	return res
}

// skip adds a row for an op not run, and why.
func (t *tester) skip(op, why string) {
	t.rep.Rows = append(t.rep.Rows, Row{Op: op, Result: resultSkipped, Notes: why})
}

// expectedPrefix starts the notes of an answer that is right for this kind
// of host though not a success: "expected <Code>: why".
const expectedPrefix = "expected "

func allOK(res []ops.Result) (string, error) {
	for _, r := range res {
		if err := r.Decode(nil); err != nil {
			return "", err
		}
	}
	return "", nil
}

// decode reads result i into v, or returns its error.
func decode(res []ops.Result, i int, v any) error { return res[i].Decode(v) }

// expect accepts an op error of one of the codes as right for this host.
func expect(r ops.Result, why string, codes ...string) (string, error) {
	if r.OK {
		return "", nil
	}
	if r.Error != nil && slices.Contains(codes, r.Error.Code) {
		return expectedPrefix + r.Error.Code + ": " + why, nil
	}
	return "", r.Decode(nil)
}
