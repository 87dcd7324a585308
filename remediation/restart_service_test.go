package remediation_test

import (
	"slices"
	"testing"

	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/remediation"
)

// restart-service clears the install scripts of ended installs, and keeps
// them while an install is suspended; the product cache is never touched.
func TestRestartServiceClearsStaleScripts(t *testing.T) {
	l := newSimLab(t, "win11-24h2")
	const stale = `C:\Windows\Installer\MSI4F2A.tmp`
	const cached = `C:\Windows\Installer\1a2b3c.msi`
	l.mustRun(ops.MustNew(ops.OpPathCreate, ops.PathCreateArgs{Path: stale, Type: "file", Content: []byte("script")}),
		ops.MustNew(ops.OpPathCreate, ops.PathCreateArgs{Path: cached, Type: "file", Content: []byte("cache")}))
	info, err := remediation.Lookup("restart-service")
	if err != nil {
		t.Fatal(err)
	}
	fix := info.New()
	apply := func() *remediation.HostState {
		t.Helper()
		st := l.probe(ops.ContextAdminElevated)
		change, err := fix.Ops(st, remediation.Finding{})
		if err != nil {
			t.Fatal(err)
		}
		l.mustRun(change...)
		return l.probe(ops.ContextAdminElevated)
	}

	// A suspended install: its scripts stay.
	l.mustRun(ops.MustNew(ops.OpRegistrySet, ops.RegistrySetArgs{Path: `HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Installer\InProgress`,
		Name: "ProductId", Type: "REG_SZ", String: "{00000000-0000-0000-0000-000000000000}"}))
	after := apply()
	if !after.Suspended || !slices.Contains(after.InstallerTmp, stale) {
		t.Fatalf("with a suspended install the script was removed: %+v", after.InstallerTmp)
	}
	if err := fix.Verify(after); err != nil {
		t.Errorf("verify with a suspended install: %v", err)
	}

	// Nothing running or suspended: the script goes, the cache stays.
	l.mustRun(ops.MustNew(ops.OpRegistryDeleteKey, ops.RegistryKeyArgs{Path: `HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Installer\InProgress`}))
	after = apply()
	if len(after.InstallerTmp) != 0 || after.Service.State != "Running" {
		t.Errorf("after the fix: scripts %v, msiserver %s", after.InstallerTmp, after.Service.State)
	}
	if err := fix.Verify(after); err != nil {
		t.Errorf("verify: %v", err)
	}
	var st ops.PathInfo
	if err := l.mustRun(ops.MustNew(ops.OpPathStat, ops.PathArgs{Path: cached}))[0].Decode(&st); err != nil || !st.Exists {
		t.Errorf("the product cache was touched: %+v %v", st, err)
	}
}
