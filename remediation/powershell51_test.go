package remediation_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/msilab/msilab/internal/pscheck"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/remediation"
)

// TestDryRunScriptsRunOnPowerShell51 checks the PowerShell that `msilab
// remediate --dry-run` prints, each planned step's and its rollback's, for
// every built-in failure on every OS profile, against the cmdlets of
// Windows PowerShell 5.1 (tools/psparse, one run for all of them).
func TestDryRunScriptsRunOnPowerShell51(t *testing.T) {
	root := pscheck.ModuleRoot(t)
	profiles := testProfiles()
	cells := failureCells(t, profiles)
	var mu sync.Mutex
	scripts := map[string]string{} // text -> file name, each text once
	fixes := map[string]bool{}     // the fixes whose steps have a script
	t.Run("plan", func(t *testing.T) {
		for _, p := range profiles {
			t.Run(p, func(t *testing.T) {
				t.Parallel() // one simulated host per profile
				l := newSimLab(t, p)
				for _, c := range cells {
					if c.Host.OS != p {
						continue
					}
					l.reset()
					sc := c.Scenario
					tgt := l.target(c.Context)
					if sc.Action == "uninstall" {
						if run := l.install(sc.Package, ops.ContextAdminElevated, nil, ""); run.ExitCode != 0 {
							t.Fatalf("%s: setup install: exit %d", c.ID, run.ExitCode)
						}
					}
					for _, spec := range sc.Faults {
						l.inject(spec.Type, spec.Params, tgt)
					}
					var failed ops.MsiRun
					if sc.Action == "uninstall" {
						failed = l.uninstall(sc.Package, c.Context)
					} else {
						failed = l.install(sc.Package, c.Context, sc.Properties, sc.UI)
					}
					rep, err := remediation.Remediate(l.ctx, l.s, tgt, &failed, remediation.Options{DryRun: true})
					if err != nil {
						t.Fatalf("%s: %v", c.ID, err)
					}
					mu.Lock()
					for _, s := range rep.Plan {
						for kind, text := range map[string]string{"fix": s.PowerShell, "rollback": s.RollbackPowerShell} {
							if text == "" {
								continue
							}
							if _, dup := scripts[text]; !dup {
								scripts[text] = fmt.Sprintf("%03d-%s-%s.ps1", len(scripts), s.Fix, kind)
							}
							fixes[s.Fix] = true
						}
					}
					mu.Unlock()
				}
			})
		}
	})
	if t.Failed() {
		return
	}
	if len(scripts) == 0 {
		t.Fatal("no dry run planned a step with PowerShell")
	}
	byName := map[string]string{}
	for text, name := range scripts {
		if !strings.Contains(text, "Invoke-MsiLabBatch -Request $request") {
			t.Errorf("%s is not the batch script:\n%s", name, text)
		}
		byName[name] = text
	}
	files := pscheck.WriteScripts(t, byName)
	out, code := pscheck.Check(t, root, files...)
	n, ok := pscheck.ParseCounts(out)
	if code != 0 || !ok || n.Errors != 0 || n.Files != len(files) || n.Functions < len(files) {
		t.Fatalf("check.js exited %d on %d dry-run scripts:\n%s", code, len(files), out)
	}
	names := make([]string, 0, len(fixes))
	for f := range fixes {
		names = append(names, f)
	}
	slices.Sort(names)
	t.Logf("%d dry-run scripts (fixes %s), %d commands: %d cmdlets, %d functions",
		n.Files, strings.Join(names, ", "), n.Commands, n.Cmdlets, n.Functions)
}

// The dry-run PowerShell of a step on a path with non-ASCII characters (a
// user's %TEMP% under C:\Users\José) is ASCII, so that Windows PowerShell
// 5.1 reads it the same when it is saved as a .ps1 without a byte order
// mark, and its request still names the path.
func TestPowerShellNonASCIIPath(t *testing.T) {
	const temp = `C:\Users\José\AppData\Local\Temp`
	op := ops.MustNew(ops.OpACLSet, ops.ACLSetArgs{Path: temp, SDDL: "O:SYG:SYD:P(A;OICI;FA;;;SY)", Sections: []string{"dacl"}})
	ps := remediation.PowerShell([]ops.Op{op})
	files := pscheck.WriteScripts(t, map[string]string{"fix.ps1": ps})
	out, code := pscheck.Check(t, pscheck.ModuleRoot(t), files...)
	if code != 0 {
		t.Fatalf("check.js exited %d on the dry-run script of a non-ASCII path:\n%s\n%s", code, out, ps)
	}
	m := regexp.MustCompile(`(?s)\$request = @'\n(.*?)\n'@`).FindStringSubmatch(ps)
	if m == nil {
		t.Fatalf("no inline request:\n%s", ps)
	}
	var req ops.Request
	if err := json.Unmarshal([]byte(m[1]), &req); err != nil || len(req.Ops) != 1 {
		t.Fatalf("the inline request does not decode (%v): %s", err, m[1])
	}
	var args ops.ACLSetArgs
	if err := json.Unmarshal(req.Ops[0].Args, &args); err != nil || args.Path != temp {
		t.Errorf("the request names %q (%v), want %q", args.Path, err, temp)
	}
}
