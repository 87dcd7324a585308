package faults

import (
	"strings"

	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/win"
)

// TempACL breaks the ACL of C:\Windows\Temp, the folder behind the
// in-progress marker's scratch data: the install is silently not marked in
// progress and fails with 2503 then 2502 (docs/evidence.md#E-temp-acl).
type TempACL struct {
	Variant string `json:"variant" doc:"how the ACL is broken: system-read-only (SYSTEM gets a read-only ACE and a deny-write ACE, as in the reported broken ACL), users-write-removed (BUILTIN\\Users' ACE is removed), inheritance-broken (the protected DACL is replaced by inheritance from C:\\Windows, as after icacls /reset)"`
}

var _ Fault = (*TempACL)(nil)

// TempDir is C:\Windows\Temp.
const TempDir = `C:\Windows\Temp`

// Variants of temp-acl.
const (
	TempSystemReadOnly    = "system-read-only"
	TempUsersWriteRemoved = "users-write-removed"
	TempInheritanceBroken = "inheritance-broken"
)

var tempVariants = []string{TempSystemReadOnly, TempUsersWriteRemoved, TempInheritanceBroken}

func init() {
	Register(Info{
		Name:    "temp-acl",
		Summary: `C:\Windows\Temp's ACL loses write for SYSTEM or for Users, or its inheritance is reset: 2503 then 2502, exit 1603`,
		Evidence: "docs/evidence.md#E-temp-acl: `C:\\Windows\\Temp`: SYSTEM or the installing user loses write, or a read-only (OI)(CI) ACE; " +
			"1603, 2503 then 2502 (R: actions/runner-images#1704, tacticalrmm#1238); the deny ACE that makes SYSTEM read-only is G. " +
			"The default ACL: docs/evidence.md#E-temp-default-acl",
		Inject: `acl.set C:\Windows\Temp's DACL (never its owner): system-read-only replaces SYSTEM's ACE by (OI)(CI)(S,RD) and adds a deny-write ACE for SYSTEM; ` +
			`users-write-removed removes BUILTIN\Users' ACE; inheritance-broken sets D:AI (inherit from C:\Windows only)`,
		Revert: `acl.set C:\Windows\Temp's DACL to the probed one`,
		New:    func() Fault { return &TempACL{Variant: TempSystemReadOnly} },
	})
}

// Validate checks the variant.
func (f *TempACL) Validate() error {
	for _, v := range tempVariants {
		if f.Variant == v {
			return nil
		}
	}
	return &ParamError{Param: "variant", Value: jsonString(f.Variant), Want: "one of " + strings.Join(tempVariants, ", ")}
}

// Probe reads C:\Windows\Temp's ACL.
func (f *TempACL) Probe(Target) []ops.Op { return []ops.Op{aclGet(TempDir)} }

// Inject sets the variant's DACL.
func (f *TempACL) Inject(_ Target, p Probe) ([]ops.Op, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	_, d, err := readACL(p, 0)
	if err != nil {
		return nil, err
	}
	return []ops.Op{aclSet(TempDir, f.broken(d.DACL))}, nil
}

// broken is the variant's DACL made from the probed one.
func (f *TempACL) broken(d win.ACL) win.ACL {
	switch f.Variant {
	case TempUsersWriteRemoved:
		out := win.ACL{Flags: d.Flags}
		for _, a := range d.ACEs {
			if a.SID != win.SIDUsers {
				out.ACEs = append(out.ACEs, a)
			}
		}
		return out
	case TempInheritanceBroken:
		// As after `icacls C:\Windows\Temp /reset`: no explicit ACE, not
		// protected, so only C:\Windows' inheritable ACEs apply: Users
		// keep read and execute only, and Temp's own CREATOR OWNER full
		// control gives way to C:\Windows' inherit-only one.
		return win.ACL{Flags: win.DACLAutoInherited}
	}
	// system-read-only. SYSTEM's token also holds BUILTIN\Administrators,
	// which has full control here, so a read-only allow ACE alone leaves
	// SYSTEM its write through that group. The deny-write ACE for SYSTEM,
	// first in the DACL, is what takes the write away (G: that the
	// reported broken ACLs denied SYSTEM in effect, not only by their
	// (S,RD) ACE). The (OI)(CI)(S,RD) ACE (SYNCHRONIZE | FILE_READ_DATA,
	// 0x100001) in place of SYSTEM's own gives the reported shape (R: the
	// broken ACL of docs/evidence.md#E-temp-default-acl had extra
	// SYSTEM:(OI)(CI)(S,RD) entries).
	out := win.ACL{Flags: d.Flags}
	readOnly := win.ACE{Type: win.AccessAllowed, Flags: win.ObjectInherit | win.ContainerInherit, Mask: 0x100001, SID: win.SIDSystem}
	replaced := false
	for _, a := range d.ACEs {
		if a.Type == win.AccessAllowed && a.SID == win.SIDSystem && a.Flags&win.Inherited == 0 {
			if !replaced {
				out.ACEs = append(out.ACEs, readOnly)
				replaced = true
			}
			continue
		}
		out.ACEs = append(out.ACEs, a)
	}
	if !replaced {
		out.ACEs = append(out.ACEs, readOnly)
	}
	return withFirst(out, denyWrite(win.SIDSystem))
}

// Revert puts the probed DACL back.
func (f *TempACL) Revert(_ Target, undo Probe) ([]ops.Op, error) { return revertACL(undo, 0) }

// Detect looks for the variant's effect in the DACL: SYSTEM cannot create
// files, Users cannot create files, or no explicit ACE and no protection.
func (f *TempACL) Detect(_ Target, now Probe) (Detection, error) {
	a, d, err := readACL(now, 0)
	if err != nil {
		return Detection{}, err
	}
	switch f.Variant {
	case TempUsersWriteRemoved:
		if !canCreateFiles(d, usersToken) {
			return Detection{Present: true, Evidence: aclEvidence(a, "BUILTIN\\Users cannot create files")}, nil
		}
		return Detection{Present: false, Evidence: aclEvidence(a, "BUILTIN\\Users can create files")}, nil
	case TempInheritanceBroken:
		if !d.DACL.Protected() && len(d.DACL.Explicit()) == 0 {
			return Detection{Present: true, Evidence: aclEvidence(a, "no explicit ACE, inherited from C:\\Windows only")}, nil
		}
		return Detection{Present: false, Evidence: aclEvidence(a, "explicit or protected DACL")}, nil
	}
	if !canCreateFiles(d, systemToken) {
		return Detection{Present: true, Evidence: aclEvidence(a, "SYSTEM cannot create files")}, nil
	}
	return Detection{Present: false, Evidence: aclEvidence(a, "SYSTEM can create files")}, nil
}
