package remediation_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/msilab/msilab/faults"
	"github.com/msilab/msilab/internal/pscheck"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/remediation"
	"github.com/msilab/msilab/win"
)

// An ACL opened up (Everyone:F on C:\Windows\Temp) works for every
// install: it is reported as over-broad, never taken for a default, and
// restore-temp-acl, asked to, puts the default back, not something broader.
func TestOverBroadIsNotAFix(t *testing.T) {
	l := newSimLab(t, "win11-24h2")
	p, _ := win.LookupProfile("win11-24h2")
	base := l.probe(ops.ContextAdminElevated)
	broad := p.TempSDDL + "(A;OICI;FA;;;WD)"
	l.mustRun(ops.MustNew(ops.OpACLSet, ops.ACLSetArgs{Path: remediation.TempDir, SDDL: broad}))

	st := l.probe(ops.ContextAdminElevated)
	if got := st.OverBroad(); len(got) == 0 || !strings.Contains(strings.Join(got, ";"), "Everyone") {
		t.Fatalf("OverBroad = %v, want Everyone's rights on C:\\Windows\\Temp", got)
	}
	fs := remediation.Diagnose(st, nil, ops.ContextAdminElevated)
	if len(fs) == 0 || fs[0].ID != remediation.FindingTempACLBroad || fs[0].Confidence >= 0.5 {
		t.Fatalf("findings %+v, want temp-acl-broad, below the default MinConfidence", fs)
	}
	info, err := remediation.Lookup("restore-temp-acl")
	if err != nil {
		t.Fatal(err)
	}
	if err := info.New().Verify(st); err == nil {
		t.Fatal("restore-temp-acl verifies an Everyone:F ACL")
	}

	// By default nothing is changed: it is not a cause.
	rep, err := remediation.Remediate(l.ctx, l.s, l.target(ops.ContextAdminElevated), nil, remediation.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Applied) != 0 {
		t.Fatalf("applied %v to a host that only has a broad ACL", rep.Applied)
	}
	// Asked to, it restores the default.
	var journaled []remediation.Step
	rep, err = remediation.Remediate(l.ctx, l.s, l.target(ops.ContextAdminElevated), nil, remediation.Options{MinConfidence: 0.3,
		BeforeStep: func(s remediation.Step) error { journaled = append(journaled, s); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	if len(journaled) != 1 || len(journaled[0].Rollback) != 1 || !reflect.DeepEqual(rep.Rollback(), journaled[0].Rollback) {
		t.Errorf("BeforeStep saw %+v; the report's rollback is %v", journaled, rep.Rollback())
	}
	if !rep.Resolved || len(rep.Applied) != 1 || !rep.Applied[0].Verified {
		t.Fatalf("report %+v", rep)
	}
	after := l.probe(ops.ContextAdminElevated)
	if got := after.OverBroad(); len(got) > 0 {
		t.Errorf("still over-broad: %v", got)
	}
	if lost, gained := remediation.Diff(base, after); len(lost)+len(gained) > 0 {
		t.Errorf("not the baseline: lost %v, gained %v", lost, gained)
	}
	// No fix's ops grant a broad group anything: every acl.set sends a
	// profile default or a probed descriptor (rollback).
	for _, a := range rep.Applied {
		for _, op := range a.Ops {
			if op.Name != ops.OpACLSet {
				continue
			}
			var args ops.ACLSetArgs
			json.Unmarshal(op.Args, &args)
			if strings.Contains(args.SDDL, ";WD)") || strings.Contains(args.SDDL, ";S-1-1-0)") {
				t.Errorf("%s sends %s", a.Fix, args.SDDL)
			}
		}
	}
}

// A fix whose result would be over-broad does not verify and is rolled
// back: restoring a user's TEMP to inherit from a profile folder that
// grants Everyone full control would hand that on.
func TestFixRolledBackWhenNotVerified(t *testing.T) {
	l := newSimLab(t, "win10-22h2")
	tgt := l.target(ops.ContextAdminElevated)
	user := tgt.ContextUser()
	profileDir := `C:\Users\` + user
	acl := l.run(ops.MustNew(ops.OpACLGet, ops.ACLGetArgs{Path: profileDir}))
	var a ops.ACL
	if err := acl[0].Decode(&a); err != nil {
		t.Fatal(err)
	}
	// The user's TEMP is protected with its own ACEs (so it does not
	// inherit the broad one yet), one of which denies the user write.
	st := l.probe(ops.ContextAdminElevated)
	broken := "D:P(D;OICI;0x116;;;" + st.User.SID + ")(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FA;;;" + st.User.SID + ")"
	l.mustRun(
		ops.MustNew(ops.OpACLSet, ops.ACLSetArgs{Path: profileDir, SDDL: a.SDDL + "(A;OICI;FA;;;WD)"}),
		ops.MustNew(ops.OpACLSet, ops.ACLSetArgs{Path: remediation.UserTempDir(user), SDDL: broken}),
	)
	before := l.probe(ops.ContextAdminElevated)
	run := l.install("permachine", ops.ContextAdminElevated, nil, "")
	if run.ExitCode != 1632 {
		t.Fatalf("install: exit %d, want 1632", run.ExitCode)
	}
	rep, err := remediation.Remediate(l.ctx, l.s, tgt, &run, remediation.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Applied) != 1 {
		t.Fatalf("applied %+v", rep.Applied)
	}
	got := rep.Applied[0]
	if got.Fix != "restore-user-temp-acl" || got.Verified || !got.RolledBack || !strings.Contains(got.Error, "Everyone") {
		t.Fatalf("applied %+v, want restore-user-temp-acl not verified (Everyone), rolled back", got)
	}
	if rep.Resolved || !slices.Contains(rep.Unresolved, remediation.FindingUserTempUnwritable) {
		t.Errorf("resolved %v, unresolved %v", rep.Resolved, rep.Unresolved)
	}
	after := l.probe(ops.ContextAdminElevated)
	if lost, gained := remediation.Diff(before, after); len(lost)+len(gained) > 0 {
		t.Errorf("the rollback did not restore the state: lost %v, gained %v", lost, gained)
	}
}

// A dry run sends no change; its plan has each step's exact PowerShell.
func TestDryRun(t *testing.T) {
	l := newSimLab(t, "server2022")
	tgt := l.target(ops.ContextAdminElevated)
	l.inject("temp-acl", []byte(`{"variant":"system-read-only"}`), tgt)
	run := l.install("permachine", ops.ContextAdminElevated, nil, "")
	digest := l.srv.Host().Machine().Digest()
	rep, err := remediation.Remediate(l.ctx, l.s, tgt, &run, remediation.Options{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if l.srv.Host().Machine().Digest() != digest {
		t.Error("a dry run changed the host")
	}
	if len(rep.Applied) != 0 || rep.Commands != 1 || !rep.DryRun {
		t.Errorf("applied %v, %d commands, dry run %v", rep.Applied, rep.Commands, rep.DryRun)
	}
	if len(rep.Plan) == 0 || rep.Plan[0].Fix != "restore-temp-acl" {
		t.Fatalf("plan %+v", rep.Plan)
	}
	step := rep.Plan[0]
	p, _ := win.LookupProfile("server2022")
	for _, want := range []string{"Invoke-MsiLabBatch", ops.ModuleSHA256, `"op":"acl.set"`, strings.ReplaceAll(p.TempSDDL, `\`, `\\`)} {
		if !strings.Contains(step.PowerShell, want) {
			t.Errorf("the step's PowerShell lacks %q:\n%s", want, step.PowerShell)
		}
	}
	if step.RollbackPowerShell == "" || len(step.Rollback) != 1 {
		t.Errorf("no rollback: %+v", step)
	}
	if rep.Resolved || !slices.Contains(rep.Unresolved, remediation.FindingTempACL) {
		t.Errorf("a dry run resolves nothing: resolved %v, unresolved %v", rep.Resolved, rep.Unresolved)
	}
}

// A DisableMSI = 1 on a host that looks domain-joined: running elevated
// comes first (a GPO would write the value back), and the relaxing fix
// says why.
func TestDomainHint(t *testing.T) {
	l := newSimLab(t, "win11-24h2")
	l.mustRun(
		ops.MustNew(ops.OpRegistrySet, ops.RegistrySetArgs{Path: `HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters`,
			Name: "Domain", Type: "REG_SZ", String: "corp.example"}),
		ops.MustNew(ops.OpRegistrySet, ops.RegistrySetArgs{Path: remediation.PolicyKey, Name: "DisableMSI", Type: "REG_DWORD", Number: 1}),
	)
	run := l.install("peruser", ops.ContextStandardUser, nil, "")
	st := l.probe(ops.ContextStandardUser)
	if !st.Domain.Joined() || st.Domain.Domain != "corp.example" {
		t.Fatalf("domain %+v", st.Domain)
	}
	fs := remediation.Diagnose(st, &run, "")
	if len(fs) == 0 || fs[0].ID != remediation.FindingDisableMSINonAdmin || fs[0].Fixes[0] != "run-elevated" {
		t.Fatalf("findings %+v, want disable-msi-non-admin with run-elevated first", fs)
	}
	steps := remediation.Plan(fs, st)
	i := slices.IndexFunc(steps, func(s remediation.Step) bool { return s.Fix == "relax-disable-msi" })
	if i < 0 || !strings.Contains(steps[i].Note, "corp.example") || !strings.Contains(steps[i].Note, "GPO") {
		t.Errorf("relax-disable-msi's note does not say a GPO would write it back: %+v", steps)
	}
}

// The fixes and findings refer to each other consistently.
func TestCatalog(t *testing.T) {
	known := map[string]bool{}
	for _, f := range remediation.Findings() {
		known[f.ID] = true
		for _, fix := range f.Fixes {
			info, err := remediation.Lookup(fix)
			if err != nil {
				t.Errorf("finding %s: %v", f.ID, err)
				continue
			}
			if !slices.Contains(info.Addresses, f.ID) {
				t.Errorf("finding %s lists %s, which does not address it", f.ID, fix)
			}
		}
	}
	want := []string{"recreate-installer-folder", "recreate-user-temp", "relax-disable-msi", "reregister-service",
		"restart-service", "restore-installer-acl", "restore-target-acl", "restore-temp-acl", "restore-user-temp-acl", "run-elevated",
		"service-manual-start", "wait-for-mutex"}
	if got := remediation.Names(); !slices.Equal(got, want) {
		t.Errorf("Names() = %v, want %v", got, want)
	}
	for _, name := range remediation.Names() {
		info, _ := remediation.Lookup(name)
		if info.Summary == "" || info.RiskReason == "" || len(info.Addresses) == 0 {
			t.Errorf("%s: incomplete Info %+v", name, info)
		}
		for _, id := range info.Addresses {
			if !known[id] {
				t.Errorf("%s addresses unknown finding %s", name, id)
			}
		}
	}
	var ue *remediation.UnknownError
	if _, err := remediation.Lookup("grant-everyone"); !errorsIs(err, remediation.ErrUnknown) || !errorsAs(err, &ue) || len(ue.Known) == 0 {
		t.Errorf("Lookup of an unknown fix: %v", err)
	}
}

// A real host's host.info maps to a profile by edition and build.
func TestReadStateProfileOfRealHost(t *testing.T) {
	for _, c := range []struct {
		info    ops.HostInfo
		profile string
		exact   bool
	}{
		{ops.HostInfo{ProductName: "Windows Server 2022 Datacenter", Edition: "ServerDatacenter", Build: "10.0.20348.2966"}, "server2022", true},
		{ops.HostInfo{ProductName: "Windows Server 2025 Standard", Edition: "ServerStandard", Build: "10.0.26100.1"}, "server2025", true},
		{ops.HostInfo{ProductName: "Windows 10 Pro", Edition: "Professional", Build: "10.0.26100.2605"}, "win11-24h2", true},
		{ops.HostInfo{ProductName: "Windows 10 Enterprise", Edition: "Enterprise", Build: "10.0.22631.4460"}, "win11-24h2", false},
		{ops.HostInfo{ProductName: "Windows 10 Pro", Edition: "Professional", Build: "10.0.19044.1"}, "win10-22h2", false},
		{ops.HostInfo{ProductName: "Windows Server 2016 Standard", Edition: "ServerStandard", Build: "10.0.14393.0"}, "server2016", true},
		{ops.HostInfo{Profile: "server2019", Build: "10.0.17763.6659"}, "server2019", true},
	} {
		op, _ := ops.New(ops.OpHostInfo, nil)
		val, _ := json.Marshal(c.info)
		st, err := remediation.ReadState(l0(), []ops.Op{op}, []ops.Result{{Op: ops.OpHostInfo, OK: true, Value: val}})
		if err != nil {
			t.Fatal(err)
		}
		if st.Profile != c.profile || st.ProfileExact != c.exact {
			t.Errorf("%+v: profile %s (exact %v), want %s (%v)", c.info, st.Profile, st.ProfileExact, c.profile, c.exact)
		}
		p, _ := win.LookupProfile(c.profile)
		if st.Temp.Default != p.TempSDDL || st.DisableMSIWhenAbsent != p.DisableMSIWhenAbsent {
			t.Errorf("%s: defaults not from the profile", c.profile)
		}
	}
	if _, err := remediation.ReadState(l0(), make([]ops.Op, 2), make([]ops.Result, 1)); !errorsIs(err, remediation.ErrProbe) {
		t.Errorf("ReadState with too few results: %v", err)
	}
}

// PowerShell is the batch script with the request inline: it parses with
// the PowerShell grammar CI uses, and carries the request byte for byte.
func TestPowerShell(t *testing.T) {
	op, _ := ops.New(ops.OpACLSet, ops.ACLSetArgs{Path: remediation.TempDir,
		SDDL: "O:SYG:SYD:PAI(A;CI;0x100026;;;BU)(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)(A;OICIIO;FA;;;CO)", Sections: []string{"dacl"}})
	ps := remediation.PowerShell([]ops.Op{op})
	req, _ := json.Marshal(ops.Request{Version: ops.ProtocolVersion, ModuleSHA256: ops.ModuleSHA256, Ops: []ops.Op{op}})
	if !strings.Contains(ps, "$request = @'\n"+string(req)+"\n'@ | ConvertFrom-Json") {
		t.Errorf("the request is not inline:\n%s", ps)
	}
	if strings.Contains(ps, "[Console]::In") || !strings.Contains(ps, "Invoke-MsiLabBatch -Request $request") {
		t.Errorf("not the batch script with stdin replaced:\n%s", ps)
	}
	psparseCheck(t, ps)
}

// psparseCheck parse-checks a script with tools/psparse (as lab/ops'
// tests do); without node or its modules it skips, except in CI.
func psparseCheck(t *testing.T, script string) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "fix.ps1")
	if err := os.WriteFile(file, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, code := pscheck.Parse(t, pscheck.ModuleRoot(t), file); code != 0 {
		t.Errorf("the rendered PowerShell does not parse (exit %d):\n%s\n%s", code, out, script)
	}
}

func l0() faults.Target {
	return faults.Target{AdminUser: "msilab", StandardUser: ops.DefaultStandardUser, Context: ops.ContextAdminElevated}
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }
func errorsIs(err, target error) bool     { return errors.Is(err, target) }

// A healthy host shows nothing, except Windows Server's default policy
// for a non-elevated context.
func TestHealthyHost(t *testing.T) {
	for _, p := range []string{"win10-22h2", "server2022"} {
		l := newSimLab(t, p)
		for _, context := range ops.Contexts {
			st := l.probe(context)
			if st.Profile != p || !st.ProfileExact {
				t.Errorf("%s: profile %q", p, st.Profile)
			}
			fs := remediation.Diagnose(st, nil, context)
			server := strings.HasPrefix(p, "server")
			switch {
			case server && (context == ops.ContextStandardUser || context == ops.ContextAdminFiltered):
				if len(fs) != 1 || fs[0].ID != remediation.FindingDisableMSINonAdmin || fs[0].Scenario != "per-user-server-default" {
					t.Errorf("%s %s: findings %+v, want the Server default's disable-msi-non-admin", p, context, fs)
				}
			case len(fs) > 0:
				t.Errorf("%s %s: findings on a healthy host: %+v", p, context, fs)
			}
			if broad := st.OverBroad(); len(broad) > 0 {
				t.Errorf("%s %s: the profile's defaults are over-broad: %v", p, context, broad)
			}
		}
	}
}
