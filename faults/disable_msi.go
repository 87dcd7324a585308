package faults

import (
	"fmt"

	"github.com/msilab/msilab/lab/ops"
)

// DisableMSI sets the "Turn off Windows Installer" policy: 2 rejects every
// install, 1 rejects the installs that would not run elevated
// (docs/evidence.md#E-disablemsi-2, docs/evidence.md#E-disablemsi-1).
type DisableMSI struct {
	Value int `json:"value" doc:"the DisableMSI policy value: 2 turns Windows Installer off for every install (exit 1625), 1 for installs that do not run elevated (non-managed apps, e.g. a standard user's per-user install)"`
}

var _ Fault = (*DisableMSI)(nil)

func init() {
	Register(Info{
		Name:    "disable-msi",
		Summary: `HKLM\SOFTWARE\Policies\Microsoft\Windows\Installer DisableMSI = 1 or 2 (policy "Turn off Windows Installer"): exit 1625`,
		Evidence: "docs/evidence.md#E-disablemsi-2: DisableMSI = 2 (1625; semantics D, code/log G); " +
			"docs/evidence.md#E-disablemsi-1: DisableMSI = 1 and an install that would not run elevated (1625; D + R); " +
			"docs/evidence.md#E-policy-keys (D)",
		Inject: `registry.set HKLM\SOFTWARE\Policies\Microsoft\Windows\Installer DisableMSI REG_DWORD <value>`,
		Revert: "registry.set the probed value back; or registry.delete_value when it was absent; or registry.delete_key " +
			"of the outermost key that was absent",
		New: func() Fault { return &DisableMSI{Value: 2} },
	})
}

var disableMSIValue = dwordValue{Key: machinePolicyKey, Name: "DisableMSI", Root: machinePolicyRoot}

// Validate checks the value.
func (f *DisableMSI) Validate() error {
	if f.Value != 1 && f.Value != 2 {
		return &ParamError{Param: "value", Value: fmt.Sprint(f.Value), Want: "1 or 2"}
	}
	return nil
}

// Probe reads the value and its key's path.
func (f *DisableMSI) Probe(Target) []ops.Op { return disableMSIValue.probe() }

// Inject writes the value.
func (f *DisableMSI) Inject(_ Target, p Probe) ([]ops.Op, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	st, err := disableMSIValue.read(p, 0)
	if err != nil {
		return nil, err
	}
	if st.noRoot {
		return nil, hostState(`%s does not exist`, machinePolicyRoot)
	}
	return []ops.Op{st.set(uint64(f.Value))}, nil
}

// Revert restores the value, or its absence.
func (f *DisableMSI) Revert(_ Target, undo Probe) ([]ops.Op, error) {
	if undo.readFailed(0, disableMSIValue.probeLen()) {
		return nil, nil
	}
	st, err := disableMSIValue.read(undo, 0)
	if err != nil {
		return nil, err
	}
	return []ops.Op{st.restore()}, nil
}

// Detect reports DisableMSI equal to the fault's value.
func (f *DisableMSI) Detect(_ Target, now Probe) (Detection, error) {
	st, err := disableMSIValue.read(now, 0)
	if err != nil {
		return Detection{}, err
	}
	return Detection{Present: st.is(uint64(f.Value)), Evidence: st.String()}, nil
}
