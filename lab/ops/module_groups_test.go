package ops

import (
	"strings"
	"testing"
)

// The module tests group membership by SID through the WinNT provider,
// never with Get-LocalGroupMember, which fails on a group holding an
// orphaned or Azure AD member (docs/evidence.md#E-localgroup-orphan):
// user.ensure, and with it every cell, would fail on such a host.
func TestModuleAvoidsGetLocalGroupMember(t *testing.T) {
	for i, line := range strings.Split(string(Module), "\n") {
		code, _, _ := strings.Cut(line, "#")
		if strings.Contains(strings.ToLower(code), "get-localgroupmember") {
			t.Errorf("MsiLab.psm1:%d calls Get-LocalGroupMember: %s", i+1, strings.TrimSpace(line))
		}
	}
}
