package runner

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/remediation"
	"github.com/msilab/msilab/scenarios"
	"github.com/msilab/msilab/scenarios/results"
)

// A clean host whose C:\Windows\Temp has the merged (OI)(CI)(F) entries
// (the profiles now carry icacls' split form: both grant the same,
// docs/evidence.md#E-temp-default-acl) and whose C:\Windows\Installer is
// not the profiles' guess but gives SYSTEM and Administrators full control
// (docs/evidence.md#E-installer-acl). Through the runner's checks (the
// remediation's findings, the recovery's over-broad and baseline checks,
// the revert's baseline) neither ACL is a finding or gets a fix; the
// installer-acl fault's fix gives back only the denied right.
func TestRealHostACLsPassTheBaselineChecks(t *testing.T) {
	pool, h, s := leasedHost(t, "win11-24h2")
	set := func(path, sddl string) ops.Op {
		return ops.MustNew(ops.OpACLSet, ops.ACLSetArgs{Path: path, SDDL: sddl})
	}
	// The host's clean snapshot is taken with these ACLs.
	if _, err := s.RunBatch(context.Background(), []ops.Op{
		set(remediation.TempDir, "O:SYG:SYD:PAI(A;CI;0x100026;;;BU)(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)(A;OICIIO;FA;;;CO)"),
		set(remediation.InstallerDir, "O:SYG:SYD:PAI(A;;FA;;;SY)(A;OICIIO;GA;;;SY)(A;;FA;;;BA)(A;OICIIO;GA;;;BA)(A;OICI;0x1200a9;;;BU)"+
			"(A;OICI;FA;;;S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464)"),
		ops.MustNew(ops.OpSimSnapshot, ops.SnapshotArgs{Name: "msilab-clean"}),
	}); err != nil {
		t.Fatal(err)
	}
	pool.Release(h)
	var cells []scenarios.Cell
	for _, name := range []string{"clean-host", "service-disabled", "mutex-held", "installer-acl", "temp-acl-system-read-only"} {
		cells = append(cells, builtinCells(t, name, "win11-24h2")...)
	}
	sum, err := Run(context.Background(), pool, cells, Options{Out: t.TempDir(), Remediate: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Cells) != len(cells) {
		t.Fatalf("%d results for %d cells", len(sum.Cells), len(cells))
	}
	for _, c := range sum.Cells {
		if c.Status != results.StatusPass || !c.BackToBaseline {
			t.Errorf("%s: %s (%s), back to baseline %v", c.ID, c.Status, c.Reason, c.BackToBaseline)
			continue
		}
		rem := c.Remediation
		if c.Scenario == "clean-host" {
			continue
		}
		if rem == nil || !rem.Recovered {
			t.Errorf("%s: not recovered: %+v", c.ID, rem)
			continue
		}
		var found, fixed []string
		for _, f := range rem.Findings {
			found = append(found, f.ID)
		}
		for _, f := range rem.Fixes {
			fixed = append(fixed, f.Name)
		}
		aclFix := map[string]string{"installer-acl": "restore-installer-acl", "temp-acl-system-read-only": "restore-temp-acl"}[c.Scenario]
		for _, acl := range []string{"restore-temp-acl", "restore-installer-acl"} {
			if slices.Contains(fixed, acl) != (acl == aclFix) {
				t.Errorf("%s: fixes %v (findings %v)", c.ID, fixed, found)
			}
		}
		for _, id := range found {
			if strings.Contains(id, "acl") && aclFix == "" {
				t.Errorf("%s: finding %s on a healthy ACL (findings %v)", c.ID, id, found)
			}
		}
	}
}
