package remediation_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/remediation"
	"github.com/msilab/msilab/win"
)

// ACLs as healthy real hosts may have them. The Temp ones are the two
// forms of docs/evidence.md#E-temp-default-acl (icacls' split entries, the
// merged (OI)(CI)(F) of an older template); the Installer one is not the
// profiles' guess (G) but gives SYSTEM and Administrators full control.
const (
	realTempSplit  = "O:SYG:SYD:PAI(A;CI;0x100026;;;BU)(A;;FA;;;BA)(A;OICIIO;FA;;;BA)(A;;FA;;;SY)(A;OICIIO;FA;;;SY)(A;OICIIO;FA;;;CO)"
	realTempMerged = "O:SYG:SYD:PAI(A;CI;0x100026;;;BU)(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)(A;OICIIO;FA;;;CO)"
	realInstaller  = "O:SYG:SYD:PAI(A;;FA;;;SY)(A;OICIIO;GA;;;SY)(A;;FA;;;BA)(A;OICIIO;GA;;;BA)(A;OICI;0x1200a9;;;BU)" +
		"(A;OICI;FA;;;" + string(win.SIDTrustedInstaller) + ")"
)

func (l *simLab) setACL(path, sddl string) {
	l.t.Helper()
	l.mustRun(ops.MustNew(ops.OpACLSet, ops.ACLSetArgs{Path: path, SDDL: sddl}))
}

// A healthy host whose Temp ACL is in either form, or whose Installer ACL
// differs from the guess but gives SYSTEM and Administrators full control,
// gets no finding and no fix in any context. The same host with a right
// taken from Administrators is found, and the fix adds only that right.
func TestRealACLsGetNoFindingAndNoFix(t *testing.T) {
	l := newSimLab(t, "win11-24h2")
	for _, c := range []struct{ name, temp, installer string }{
		{"split Temp", realTempSplit, ""},
		{"merged Temp", realTempMerged, ""},
		{"Installer not the guess", "", realInstaller},
		{"both", realTempMerged, realInstaller},
	} {
		t.Run(c.name, func(t *testing.T) {
			l.t = t
			l.reset()
			if c.temp != "" {
				l.setACL(remediation.TempDir, c.temp)
			}
			if c.installer != "" {
				l.setACL(remediation.InstallerDir, c.installer)
			}
			for _, context := range ops.Contexts {
				st := l.probe(context)
				if fs := remediation.Diagnose(st, nil, context); len(fs) > 0 {
					t.Errorf("%s: findings %+v", context, fs)
				}
				if broad := st.OverBroad(); len(broad) > 0 {
					t.Errorf("%s: over-broad %v", context, broad)
				}
				// Not even a low-confidence fix.
				rep, err := remediation.Remediate(l.ctx, l.s, l.target(context), nil, remediation.Options{MinConfidence: 0.01})
				if err != nil {
					t.Fatal(err)
				}
				if len(rep.Plan)+len(rep.Applied) > 0 {
					t.Errorf("%s: plan %+v, applied %+v", context, rep.Plan, rep.Applied)
				}
			}
		})
	}

	// Administrators without their inherit-only entry: found (it blocks no
	// write: SYSTEM keeps its own), and its fix adds their entry, nothing else.
	l.t = t
	l.reset()
	noInherit := strings.Replace(realInstaller, "(A;;FA;;;BA)(A;OICIIO;GA;;;BA)", "(A;;FA;;;BA)", 1)
	l.setACL(remediation.InstallerDir, noInherit)
	st := l.probe(ops.ContextAdminElevated)
	fs := remediation.Diagnose(st, nil, ops.ContextAdminElevated)
	if len(fs) != 1 || fs[0].ID != remediation.FindingInstallerACL || !strings.Contains(strings.Join(fs[0].Evidence, " "), "BUILTIN\\Administrators lacks") {
		t.Fatalf("Administrators without their inherit-only entry: findings %+v", fs)
	}
	// It blocks nothing, so Remediate leaves it; its planned fix adds
	// Administrators' entry and keeps the rest.
	plan := remediation.Plan(fs, st)
	if len(plan) != 1 || plan[0].Fix != "restore-installer-acl" {
		t.Fatalf("plan %+v", plan)
	}
	l.mustRun(plan[0].Ops...)
	info, _ := remediation.Lookup("restore-installer-acl")
	if err := info.New().Verify(l.probe(ops.ContextAdminElevated)); err != nil {
		t.Error(err)
	}
	got := win.MustParseSDDL(aclOf(t, l, remediation.InstallerDir))
	want := win.MustParseSDDL(noInherit + "(A;OICI;FA;;;BA)")
	if same, why := win.SameRights(got, want, win.FileMapping); !same {
		t.Errorf("after the fix: %s (%s), want the host's ACL with Administrators' full control added", got, why)
	}
}

// The installer-acl fault on a host whose Installer ACL is not the guess:
// the install fails with the 2503 chain, and the fix removes the fault's
// deny entry only, so the host is back to its own ACL, not to the guess.
func TestInstallerFixKeepsTheHostsACL(t *testing.T) {
	l := newSimLab(t, "win11-24h2")
	l.setACL(remediation.InstallerDir, realInstaller)
	base := l.probe(ops.ContextAdminElevated)
	l.inject("installer-acl", nil, l.target(ops.ContextAdminElevated))
	failed := l.install("permachine", ops.ContextAdminElevated, nil, "")
	if failed.ExitCode != 1603 {
		t.Fatalf("exit %d, want 1603\n%s", failed.ExitCode, failed.Log)
	}
	rep, err := remediation.Remediate(l.ctx, l.s, l.target(ops.ContextAdminElevated), &failed, remediation.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var fixes []string
	for _, a := range rep.Applied {
		fixes = append(fixes, a.Fix)
	}
	if !rep.Resolved || !slices.Contains(fixes, "restore-installer-acl") || slices.Contains(fixes, "restore-temp-acl") {
		t.Fatalf("fixes %v, resolved %v\n%s", fixes, rep.Resolved, rep)
	}
	after := l.probe(ops.ContextAdminElevated)
	if lost, gained := remediation.Diff(base, after); len(lost)+len(gained) > 0 {
		t.Errorf("not the host's own ACL: lost %v, gained %v", lost, gained)
	}
	if run := l.install("permachine", ops.ContextAdminElevated, nil, ""); run.ExitCode != 0 {
		t.Errorf("rerun: exit %d", run.ExitCode)
	}
}

func aclOf(t *testing.T, l *simLab, path string) string {
	t.Helper()
	var a ops.ACL
	if err := l.mustRun(ops.MustNew(ops.OpACLGet, ops.ACLGetArgs{Path: path}))[0].Decode(&a); err != nil {
		t.Fatal(err)
	}
	return a.SDDL
}
