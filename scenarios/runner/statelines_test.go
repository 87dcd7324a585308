package runner

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/win"
)

// TestStateLinesByMeaning: the baseline check reads an ACL by the rights
// it grants, so the .NET-canonical form of C:\Windows\Temp's DACL (other
// icacls lines, same rights) is the same baseline, and a DACL that grants
// other rights is not.
func TestStateLinesByMeaning(t *testing.T) {
	p, err := win.LookupProfile("win10-22h2")
	if err != nil {
		t.Fatal(err)
	}
	probe := []ops.Op{ops.MustNew(ops.OpACLGet, ops.ACLGetArgs{Path: `C:\Windows\Temp`})}
	result := func(sd win.SecurityDescriptor) []ops.Result {
		v, _ := json.Marshal(ops.ACL{Path: `C:\Windows\Temp`, Exists: true, SDDL: sd.String(), Owner: string(sd.Owner),
			Protected: sd.DACL.Protected(), ICACLS: win.ICACLS(sd.DACL, win.DisplayName)})
		return []ops.Result{{Op: ops.OpACLGet, OK: true, Value: v}}
	}
	orig := win.MustParseSDDL(p.TempSDDL)
	canon := orig.Clone()
	canon.DACL = win.NETCanonicalDACL(orig.DACL, true)
	base := stateLines(probe, result(orig))
	if got := stateLines(probe, result(canon)); !slices.Equal(got, base) {
		t.Errorf("the same rights in another order read as another baseline:\n%q\n%q", got, base)
	}
	broken := orig.Clone()
	broken.DACL.ACEs = append([]win.ACE{{Type: win.AccessDenied, Flags: win.ObjectInherit | win.ContainerInherit,
		Mask: win.FileAddFile, SID: win.SIDSystem}}, broken.DACL.ACEs...)
	if got := stateLines(probe, result(broken)); slices.Equal(got, base) {
		t.Errorf("a DACL denying SYSTEM reads as the baseline: %q", got)
	}
}
