package remediation

import (
	"github.com/msilab/msilab/faults"
	"github.com/msilab/msilab/lab/ops"
)

// broadCause registers an over-broad-ACL finding: a security finding,
// not a failure cause (the OS defaults: docs/evidence.md#E-temp-default-acl).
func broadCause(id string, rank int, summary, fix string, probe func(faults.Target) []ops.Op, sig func(h *HostView) (aclSignal, bool)) {
	RegisterCause(Cause{
		ID: id, Rank: rank, Summary: summary, Security: true,
		Label:      "D (the OS defaults), G (what counts as broad)",
		Sources:    []string{"docs/evidence.md#E-temp-default-acl", "docs/evidence.md#E-installer-acl"},
		NoScenario: "a security finding, not a failure: no install fails from it",
		Fixes:      []string{fix},
		Probes:     probe,
		RuledOutBy: "the folder's ACL granting broad groups (Everyone, Users, Authenticated Users) no more than the OS default",
		Host: func(h *HostView) HostVerdict {
			s, ok := sig(h)
			v := HostVerdict{Holds: len(s.broad) > 0}
			if ok && len(s.broad) > 0 {
				v.Alone, v.Evidence = confBroad, append([]string{s.ev}, s.broad...)
			}
			return v
		},
	})
}

// FindingTempACLBroad: C:\Windows\Temp grants broad groups more than the default.
const FindingTempACLBroad = "temp-acl-broad"

func init() {
	broadCause(FindingTempACLBroad, 900, `C:\Windows\Temp's ACL gives broad groups more than the OS default (security; not a failure cause)`,
		"restore-temp-acl", probes(aclGet(TempDir)), func(h *HostView) (aclSignal, bool) { return h.Sig.temp, true })
}
