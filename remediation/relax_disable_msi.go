package remediation

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/msilab/msilab/faults"
	"github.com/msilab/msilab/lab/ops"
)

// RelaxDisableMSI deletes the DisableMSI policy value, which restores the
// OS default ("not configured": allowed on client editions, 1 on Server).
type RelaxDisableMSI struct{}

var (
	_ Fix   = (*RelaxDisableMSI)(nil)
	_ Noter = (*RelaxDisableMSI)(nil)
)

func init() {
	Register(Info{
		Name:    "relax-disable-msi",
		Summary: `registry.delete_value HKLM\SOFTWARE\Policies\Microsoft\Windows\Installer DisableMSI (policy "Turn off Windows Installer" back to not configured)`,
		Risk:    RiskMedium,
		RiskReason: "it relaxes a policy someone may have set on purpose (2 turns Windows Installer back on, 1 re-allows " +
			"non-admin installs of non-managed apps); a domain or local GPO writes it back at the next refresh",
		Addresses: []string{FindingDisableMSIAlways, FindingDisableMSINonAdmin},
		New:       func() Fix { return &RelaxDisableMSI{} },
	})
}

// Applies when the value is set (absent is the OS default).
func (*RelaxDisableMSI) Applies(st *HostState, _ Finding) bool { return st.DisableMSI.Exists }

// Ops delete the value.
func (*RelaxDisableMSI) Ops(*HostState, Finding) ([]ops.Op, error) {
	return []ops.Op{ops.MustNew(ops.OpRegistryDeleteValue, ops.RegistryValueArgs{Path: PolicyKey, Name: "DisableMSI"})}, nil
}

// disableMSIUndo is the value as it was.
type disableMSIUndo struct {
	Type    string   `json:"type"`
	String  string   `json:"string,omitempty"`
	Strings []string `json:"strings,omitempty"`
	Number  uint64   `json:"number,omitempty"`
	Binary  []byte   `json:"binary,omitempty"`
}

// registryTypes are the value types registry.set writes.
var registryTypes = []string{"REG_SZ", "REG_EXPAND_SZ", "REG_MULTI_SZ", "REG_DWORD", "REG_QWORD", "REG_BINARY"}

// Undo is the probed value, with its type.
func (*RelaxDisableMSI) Undo(before *HostState) (json.RawMessage, error) {
	v := before.DisableMSI
	if !v.Exists {
		return nil, nil
	}
	return undoData(disableMSIUndo{Type: v.Type, String: v.String, Strings: v.Strings, Number: v.Number, Binary: v.Binary})
}

// UndoOps write the value back, DisableMSI under the policy key only.
func (*RelaxDisableMSI) UndoOps(_ faults.Target, data json.RawMessage) ([]ops.Op, error) {
	if d := bytes.TrimSpace(data); len(d) == 0 || string(d) == "null" {
		return nil, nil
	}
	var u disableMSIUndo
	if err := decodeUndo(data, &u); err != nil {
		return nil, err
	}
	if !slices.Contains(registryTypes, u.Type) {
		return nil, badUndo("registry type %q is not one of %s", u.Type, strings.Join(registryTypes, ", "))
	}
	return []ops.Op{ops.MustNew(ops.OpRegistrySet, ops.RegistrySetArgs{Path: PolicyKey, Name: "DisableMSI", Type: u.Type,
		String: u.String, Strings: u.Strings, Number: u.Number, Binary: u.Binary})}, nil
}

// Verify checks that the value is gone.
func (*RelaxDisableMSI) Verify(after *HostState) error {
	if after.DisableMSI.Exists {
		return notVerified("relax-disable-msi", "DisableMSI is still %d", after.DisableMSI.Number)
	}
	return nil
}

// Note says when the value would come back, and what an absent value
// means on the host.
func (*RelaxDisableMSI) Note(st *HostState, f Finding) string {
	var notes []string
	if st.Domain.Joined() {
		notes = append(notes, fmt.Sprintf("the host looks domain-joined (%s; G): if a domain GPO sets DisableMSI, "+
			"the next policy refresh (gpupdate, about every 90 minutes) writes it back: change the GPO instead", domainWords(st.Domain)))
	}
	if st.Domain.LocalPolicy {
		notes = append(notes, `the local Group Policy has a machine registry.pol (`+localPolicyFile+`): if it sets `+
			`"Turn off Windows Installer", gpupdate writes DisableMSI back: set the policy to Not Configured in gpedit.msc`)
	}
	if st.DisableMSIWhenAbsent == 1 && f.ID == FindingDisableMSINonAdmin {
		notes = append(notes, fmt.Sprintf("on %s an absent DisableMSI behaves as 1: non-admin installs stay rejected; "+
			"msilab does not write DisableMSI=0, which would open the server beyond its default: run the install elevated", st.Profile))
	}
	return strings.Join(notes, "; ")
}
