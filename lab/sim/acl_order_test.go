package sim_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/msilab/msilab/internal/testlab"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/lab/sim/model"
	"github.com/msilab/msilab/win"
)

// TestACLSetExactOrder: acl.set applies the exact SDDL, as the module's
// SetNamedSecurityInfoW does, so a revert to a recorded SDDL gives back the
// same icacls lines. A .NET write (Get-Acl/Set-Acl: CommonSecurityDescriptor
// sorts and merges) of the same DACL grants the same rights but prints
// other lines: the simulated host would show it, as Windows would.
func TestACLSetExactOrder(t *testing.T) {
	const temp = `C:\Windows\Temp`
	h := testlab.NewSimHost(t, "win10-22h2")
	get := func() ops.ACL {
		t.Helper()
		var a ops.ACL
		if err := h.MustRun(ops.MustNew(ops.OpACLGet, ops.ACLGetArgs{Path: temp}))[0].Decode(&a); err != nil {
			t.Fatal(err)
		}
		return a
	}
	set := func(sddl string) {
		t.Helper()
		if err := h.MustRun(ops.MustNew(ops.OpACLSet, ops.ACLSetArgs{Path: temp, SDDL: sddl}))[0].Decode(nil); err != nil {
			t.Fatal(err)
		}
	}
	orig := get()
	sd := win.MustParseSDDL(orig.SDDL)

	// The .NET form of the same DACL, written as Set-Acl would write it.
	canon := sd.Clone()
	canon.DACL = win.NETCanonicalDACL(sd.DACL, true)
	set(canon.String())
	rewritten := get()
	if slices.Equal(rewritten.ICACLS, orig.ICACLS) {
		t.Fatalf("a canonicalised rewrite prints the original icacls lines: %q", orig.ICACLS)
	}
	if ok, why := win.SameRights(win.MustParseSDDL(rewritten.SDDL), sd, win.FileMapping); !ok {
		t.Fatalf("the canonicalised rewrite grants other rights: %s", why)
	}

	// The recorded SDDL, written back as acl.set writes it: exact.
	set(orig.SDDL)
	if back := get(); !slices.Equal(back.ICACLS, orig.ICACLS) || back.SDDL != orig.SDDL {
		t.Errorf("acl.set did not round-trip:\n got %s %q\nwant %s %q", back.SDDL, back.ICACLS, orig.SDDL, orig.ICACLS)
	}

	// A non-canonical order (allow before deny) is written as given too.
	odd := "O:SYG:SYD:PAI(A;OICI;FA;;;BA)(D;OICI;0x100116;;;BU)(A;OICI;FA;;;SY)"
	set(odd)
	if got := win.MustParseSDDL(get().SDDL); got.DACL.String() != win.MustParseSDDL(odd).DACL.String() {
		t.Errorf("acl.set reordered %s into %s", odd, got.DACL)
	}
}

// TestACLSetRefusesMissingSections: a section the SDDL lacks (no O: for
// the owner, no D: for the DACL) is InvalidArgs and changes nothing, as in
// the module, never a NULL owner or an empty DACL; a DACL that takes the
// caller's READ_CONTROL away is set, its result hidden.
func TestACLSetRefusesMissingSections(t *testing.T) {
	const temp = `C:\Windows\Temp`
	h := testlab.NewSimHost(t, "win11-24h2")
	before := h.Srv.Host().Machine().State()
	for _, tc := range []ops.ACLSetArgs{
		{Path: temp, SDDL: "D:PAI(A;OICI;FA;;;SY)", Sections: []string{"owner", "dacl"}},
		{Path: temp, SDDL: "O:BAD:PAI(A;OICI;FA;;;SY)", Sections: []string{"group"}},
		{Path: temp, SDDL: "O:BAG:SY"},
	} {
		err := h.Run(ops.MustNew(ops.OpACLSet, tc))[0].Decode(nil)
		if !errors.Is(err, &ops.Error{Code: ops.CodeInvalidArgs}) {
			t.Errorf("acl.set %+v: %v, want InvalidArgs", tc, err)
		}
	}
	if a, b := model.DiffState(before, h.Srv.Host().Machine().State()); len(a)+len(b) > 0 {
		t.Errorf("refused acl.set changed the host: -%q +%q", a, b)
	}
	// SYSTEM owns it and alone has access: the admin has no READ_CONTROL
	// left (an owner would keep it). Set, After empty.
	dir := `C:\lab-acl`
	h.MustRun(ops.MustNew(ops.OpPathCreate, ops.PathCreateArgs{Path: dir, Type: "directory"}))
	var ch ops.ACLChange
	if err := h.MustRun(ops.MustNew(ops.OpACLSet, ops.ACLSetArgs{Path: dir, SDDL: "O:SYD:P(A;OICI;FA;;;SY)", Sections: []string{"owner", "dacl"}}))[0].Decode(&ch); err != nil {
		t.Fatal(err)
	}
	if !ch.Before.Exists || ch.Before.SDDL == "" || !ch.After.Exists || ch.After.SDDL != "" {
		t.Errorf("acl.set that hides its result: %+v", ch)
	}
}
