package faults

import (
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/win"
)

// InstallerACL denies SYSTEM write on C:\Windows\Installer, where the
// service writes the in-progress marker: 2503 then 2502
// (docs/evidence.md#E-installer-acl).
type InstallerACL struct{}

var _ Fault = (*InstallerACL)(nil)

// InstallerDir is C:\Windows\Installer.
const InstallerDir = `C:\Windows\Installer`

func init() {
	Register(Info{
		Name:     "installer-acl",
		Summary:  `C:\Windows\Installer denies SYSTEM write: the in-progress marker cannot be written, 2503 then 2502, exit 1603`,
		Evidence: "docs/evidence.md#E-installer-acl: `C:\\Windows\\Installer` denies SYSTEM write; 1603, 2503/2502 (G)",
		Inject:   `acl.set C:\Windows\Installer's DACL with (D;OICI;0x116;;;SY) in front of the probed ACEs (owner unchanged)`,
		Revert:   `acl.set C:\Windows\Installer's DACL to the probed one`,
		New:      func() Fault { return &InstallerACL{} },
	})
}

// Probe reads C:\Windows\Installer's ACL.
func (f *InstallerACL) Probe(Target) []ops.Op { return []ops.Op{aclGet(InstallerDir)} }

// Inject puts a deny-write ACE for SYSTEM in front of the probed DACL.
func (f *InstallerACL) Inject(_ Target, p Probe) ([]ops.Op, error) {
	_, d, err := readACL(p, 0)
	if err != nil {
		return nil, err
	}
	return []ops.Op{aclSet(InstallerDir, withFirst(d.DACL, denyWrite(win.SIDSystem)))}, nil
}

// Revert puts the probed DACL back.
func (f *InstallerACL) Revert(_ Target, undo Probe) ([]ops.Op, error) { return revertACL(undo, 0) }

// Detect reports whether SYSTEM can create files in C:\Windows\Installer.
func (f *InstallerACL) Detect(_ Target, now Probe) (Detection, error) {
	a, d, err := readACL(now, 0)
	if err != nil {
		return Detection{}, err
	}
	if !canCreateFiles(d, systemToken) {
		return Detection{Present: true, Evidence: aclEvidence(a, "SYSTEM cannot create files")}, nil
	}
	return Detection{Present: false, Evidence: aclEvidence(a, "SYSTEM can create files")}, nil
}
