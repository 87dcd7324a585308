package scenarios

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/msilab/msilab/faults"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/msi"
	"github.com/msilab/msilab/testpkgs"
)

// The accounts Explain shows in the faults' ops (the lab's defaults).
const (
	ExplainAdminUser    = "msilab"
	ExplainStandardUser = ops.DefaultStandardUser
)

// Explain prints what each cell of sc will do, lifecycle step by step and
// op by op, using the faults package's registry and the built-in OS profiles.
func Explain(w io.Writer, sc *Scenario) error { return (*Loader)(nil).Explain(w, sc) }

// Explain prints what each cell of sc will do, with l's fault catalog and
// OS profiles: per context, the ops of each step with their exact JSON
// arguments, and the expectation per OS profile with the overrides' reasons.
func (l *Loader) Explain(w io.Writer, sc *Scenario) error {
	cat := l.faults()
	type fault struct {
		spec FaultSpec
		info faults.Info
		f    faults.Fault
	}
	var fs []fault
	for _, spec := range sc.Faults {
		info, err := cat.Lookup(spec.Type)
		if err != nil {
			return fmt.Errorf("scenarios: explain %s: %w", sc.Name, err)
		}
		f, err := cat.Decode(spec.Type, spec.Params)
		if err != nil {
			return fmt.Errorf("scenarios: explain %s: %w", sc.Name, err)
		}
		fs = append(fs, fault{spec, info, f})
	}
	var oses []string
	for _, os := range l.profiles() {
		if sc.AppliesTo(os) {
			oses = append(oses, os)
		}
	}
	pkg, pkgInfo, builtinPkg := sc.Package, testpkgs.Info{}, false
	if info, err := testpkgs.Lookup(sc.Package); err == nil {
		pkgInfo, builtinPkg = info, true
	}

	p := &printer{w: w}
	p.f("scenario %s", sc.Name)
	if sc.File != "" {
		p.f("  file: %s (sha256 %s)", sc.File, sc.SHA256)
	}
	if sc.Summary != "" {
		p.f("  %s", sc.Summary)
	}
	if sc.Evidence != "" {
		p.f("  evidence: %s (D documented, R reported, G inferred; see docs/evidence.md)", sc.Evidence)
	}
	for _, r := range sc.References {
		p.f("  reference: %s", r)
	}
	if builtinPkg {
		scope := "per-user"
		if pkgInfo.PerMachine {
			scope = "per-machine"
		}
		p.f("  package: %s (built-in test package, %s, ProductCode %s)", pkg, scope, pkgInfo.ProductCode)
	} else {
		p.f("  package: %s (local file %s)", pkg, sc.PackageFile())
	}
	if len(sc.Properties) > 0 {
		p.f("  properties: %s", formatProps(sc.Properties))
	}
	ctxs := sc.contexts()
	p.f("  cells: %d = %d OS profile(s) × %d context(s); IDs %s/<os>/<context>", len(oses)*len(ctxs), len(oses), len(ctxs), sc.Name)
	p.f("  OS profiles: %s", strings.Join(oses, ", "))

	host := sc.HostPackage()
	action := sc.Action
	if action == "" {
		action = ActionInstall
	}
	ui := sc.UI
	if ui == "" {
		ui = ops.UINone
	}
	product, perMachine := host, true // msi.uninstall also takes the package's path
	if builtinPkg {
		product, perMachine = pkgInfo.ProductCode, pkgInfo.PerMachine
	} else if db, err := msi.OpenFile(sc.PackageFile()); err == nil {
		if db.ProductCode() != "" {
			product = db.ProductCode()
		}
		perMachine = db.AllUsers() == "1"
	}
	for _, ctx := range ctxs {
		t := faults.Target{AdminUser: ExplainAdminUser, StandardUser: ExplainStandardUser, Context: ctx}
		p.f("")
		p.f("context %s: cells %s/{%s}/%s", ctx, sc.Name, strings.Join(oses, ","), ctx)
		step := p.stepper()
		step("lease a host of the cell's OS profile and revert it to its clean snapshot")
		step("make sure the package is on the host (path.hash, upload when it differs): %s", host)
		if action == ActionUninstall {
			op, err := ops.New(ops.OpMsiInstall, ops.MsiInstallArgs{Package: host, Context: ops.ContextAdminElevated, UI: ops.UINone, Properties: sc.Properties})
			if err != nil {
				return err
			}
			step("install the package elevated, before any fault (the uninstall below needs it installed)")
			p.op(op)
		}
		if len(fs) == 0 {
			step("record the baseline: no faults, nothing to probe")
		} else {
			step("record the baseline: one batch of the faults' probes; the results are journaled as undo data before any change")
			for _, f := range fs {
				for _, op := range f.f.Probe(t) {
					p.f("       %s: %s", f.spec.Type, opText(op))
				}
				if _, ok := f.f.(faults.FollowUpProber); ok {
					p.f("       %s: then a second batch of reads computed from these results (faults.RunProbe)", f.spec.Type)
				}
			}
			step("inject the faults in order, each change batch computed from its probe")
			for _, f := range fs {
				p.f("       %s%s: ops computed from the probe: %s", f.spec.Type, paramsText(f.spec.Params), f.info.Inject)
			}
		}
		if action == ActionUninstall {
			op, err := ops.New(ops.OpMsiUninstall, ops.MsiUninstallArgs{Product: product, Context: ctx, UI: ui, Properties: sc.Properties, Logon: sc.Logon})
			if err != nil {
				return err
			}
			step("remove the product in context %s, capturing exit code, verbose log and MsiInstaller events", ctx)
			p.op(op)
		} else {
			op, err := ops.New(ops.OpMsiInstall, ops.MsiInstallArgs{Package: host, Context: ctx, UI: ui, Properties: sc.Properties, Logon: sc.Logon})
			if err != nil {
				return err
			}
			step("install in context %s, capturing exit code, verbose log and MsiInstaller events", ctx)
			p.op(op)
		}
		step("check the outcome (exit code, log signature and events are independent signals)")
		for _, g := range groupExpect(sc, oses, ctx) {
			line := fmt.Sprintf("       %s: %s", strings.Join(g.oses, ", "), g.exp)
			if g.reason != "" {
				line += " — override: " + g.reason
			}
			p.f("%s", line)
		}
		if len(fs) > 0 {
			step("revert the faults in reverse order from the journaled probe (safe to repeat)")
			for i := len(fs) - 1; i >= 0; i-- {
				p.f("       %s: %s", fs[i].spec.Type, fs[i].info.Revert)
			}
		}
		// A per-machine product is removed elevated (a non-elevated removal
		// is the 1730 failure); a per-user one by the user who has it.
		cleanCtx := ctx
		if perMachine {
			cleanCtx = ops.ContextAdminElevated
		}
		op, err := ops.New(ops.OpMsiUninstall, ops.MsiUninstallArgs{Product: product, Context: cleanCtx, UI: ops.UINone})
		if err != nil {
			return err
		}
		if action == ActionUninstall {
			step("if the product is still installed (the removal failed), remove it")
		} else {
			step("if the install succeeded, uninstall the product")
		}
		p.op(op)
		step("release the host (the next lease reverts it to its snapshot)")
	}
	return p.err
}

// printer writes lines and keeps the first error.
type printer struct {
	w   io.Writer
	err error
}

func (p *printer) f(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format+"\n", args...)
	}
}

func (p *printer) op(op ops.Op) { p.f("       %s", opText(op)) }

// stepper numbers the steps of one cell.
func (p *printer) stepper() func(format string, args ...any) {
	n := 0
	return func(format string, args ...any) {
		n++
		p.f("  %d. %s", n, fmt.Sprintf(format, args...))
	}
}

func opText(op ops.Op) string {
	if len(op.Args) == 0 {
		return op.Name
	}
	return op.Name + " " + string(op.Args)
}

func paramsText(p []byte) string {
	if len(p) == 0 {
		return ""
	}
	return " " + string(p)
}

func formatProps(props map[string]string) string {
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + props[k]
	}
	return strings.Join(parts, " ")
}

type expectGroup struct {
	oses   []string
	exp    string
	reason string
}

// groupExpect gathers the OS profiles that expect the same in a context.
func groupExpect(sc *Scenario, oses []string, ctx string) []expectGroup {
	var out []expectGroup
	for _, os := range oses {
		e, reason := sc.ExpectFor(os, ctx)
		s := e.String()
		found := false
		for i := range out {
			if out[i].exp == s && out[i].reason == reason {
				out[i].oses = append(out[i].oses, os)
				found = true
				break
			}
		}
		if !found {
			out = append(out, expectGroup{oses: []string{os}, exp: s, reason: reason})
		}
	}
	return out
}

// String says what an expectation requires, in one line.
func (e Expectation) String() string {
	parts := []string{"exit code " + strconv.Itoa(e.ExitCode)}
	if len(e.Messages) > 0 {
		parts = append(parts, "messages "+joinInts(e.Messages)+" in order")
	}
	if len(e.Log) > 0 {
		parts = append(parts, "log has, in order, "+quoteAll(e.Log))
	}
	if len(e.NotLog) > 0 {
		parts = append(parts, "log lacks "+quoteAll(e.NotLog))
	}
	if len(e.Events) > 0 {
		parts = append(parts, "events include "+joinInts(e.Events))
	}
	if e.NoEvents {
		parts = append(parts, "no MsiInstaller event")
	}
	return strings.Join(parts, "; ")
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ", ")
}

func quoteAll(xs []string) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Quote(x)
	}
	return strings.Join(s, ", ")
}
