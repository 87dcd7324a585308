package remediation

import (
	"encoding/json"
	"testing"

	"github.com/msilab/msilab/lab/ops"
)

// A baseline compares ACLs by the rights they grant: a DACL written back
// in another order, or with ACEs merged as Set-Acl's .NET canonicalisation
// does, is no difference; a lost right is.
func TestLinesCompareACLsByRights(t *testing.T) {
	state := func(sddl string) *HostState {
		v, err := json.Marshal(ops.ACL{Path: TempDir, Exists: true, SDDL: sddl, Protected: true})
		if err != nil {
			t.Fatal(err)
		}
		return &HostState{Probes: []ops.Op{aclGet(TempDir)}, Results: []ops.Result{{Op: ops.OpACLGet, OK: true, Value: v}}}
	}
	base := state(tempDefault)
	for _, c := range []struct {
		sddl string
		same bool
	}{
		{"O:SYG:SYD:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;CI;0x100026;;;BU)(A;OICIIO;FA;;;CO)", true},
		{"O:SYG:SYD:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;CI;0x100004;;;BU)(A;CI;0x100022;;;BU)(A;OICIIO;GA;;;CO)", true},
		{"O:SYG:SYD:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICIIO;FA;;;CO)", false},
	} {
		a, b := Diff(base, state(c.sddl))
		if same := len(a) == 0 && len(b) == 0; same != c.same {
			t.Errorf("%s: diff %q / %q, want same=%v", c.sddl, a, b, c.same)
		}
	}
}
