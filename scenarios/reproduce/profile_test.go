package reproduce

import (
	"slices"
	"strings"
	"testing"

	"github.com/msilab/msilab/msilog"
)

func TestPickProfile(t *testing.T) {
	hdr := "=== Verbose logging started: 1/2/2025  10:00:00  Build type: SHIP UNICODE 5.00.%s.00  Calling process: C:\\Windows\\system32\\msiexec.exe ===\n"
	for _, tc := range []struct {
		name, log string
		allowed   []string
		want      string
		why       string
	}{
		{"nothing: the newest", "Error 1925.\n", nil, "win11-24h2", "the log cannot tell win11-24h2 from"},
		{"server", "Property(S): MsiNTProductType = 3\n", nil, "server2025", "MsiNTProductType = 3"},
		{"client among the scenario's", "Property(S): MsiNTProductType = 1\n", []string{"server2019", "win10-22h2"}, "win10-22h2", "a workstation (1)"},
		{"a profile's build", "Property(S): WindowsBuild = 17763\n", nil, "server2019", "a profile's own build"},
		{"10011 tells nothing", strings.Replace(hdr, "%s", "10011", 1), nil, "win11-24h2", "every Windows 10, 11 and Server 2016+ log prints it"},
		{"older than every profile", strings.Replace(hdr, "%s", "7601", 1), nil, "server2016", "the oldest profile is the nearest"},
		{"an older client", "Property(S): MsiNTProductType = 1\nProperty(S): VersionNT = 601\n", nil, "win10-22h2", "the oldest build is taken"},
		{"system drive", "Property(S): WindowsVolume = D:\\\n", nil, "win11-24h2", "system drive D:"},
		{"the simulator's host name", "Property(S): ComputerName = SRV2022\n", nil, "server2022", "the simulated host name of profile server2022"},
	} {
		ch, err := PickProfile(msilog.ParseString(tc.log), tc.allowed)
		if err != nil {
			t.Fatal(err)
		}
		if ch.Name != tc.want || !slices.ContainsFunc(ch.Why, func(s string) bool { return strings.Contains(s, tc.why) }) {
			t.Errorf("%s: %s, why %q: want %s, %q", tc.name, ch.Name, ch.Why, tc.want, tc.why)
		}
	}
}

func TestPickContexts(t *testing.T) {
	all := []string{"admin-elevated", "admin-filtered", "standard-user", "system"}
	for _, tc := range []struct {
		name, log string
		sc        []string
		want      string
	}{
		{"nothing: all", "Error 1925.\n", all, "admin-elevated,admin-filtered,standard-user,system"},
		{"system", "Property(S): UserSID = S-1-5-18\n", all, "system"},
		{"not elevated", "MSI (s) (1:2) [1:2:3:4]: MSI_LUA: Elevation prompt disabled for silent installs\n", all, "admin-filtered,standard-user"},
		{"filtered admin", "MSI (s) (1:2) [1:2:3:4]: MSI_LUA: Elevation prompt disabled for silent installs\nProperty(S): AdminUser = 1\n", all, "admin-filtered"},
		{"elevated", "MSI (s) (1:2) [1:2:3:4]: Product installation will be elevated because user is admin and product is being installed per-machine.\n", all, "admin-elevated,system"},
		{"standard user", "Property(S): LogonUser = pat\n", all, "standard-user"},
		{"none of the scenario's", "Property(S): UserSID = S-1-5-18\n", []string{"standard-user"}, "standard-user"},
	} {
		got, why := PickContexts(msilog.ParseString(tc.log), tc.sc)
		if strings.Join(got, ",") != tc.want || why == "" {
			t.Errorf("%s: %v (%s), want %s", tc.name, got, why, tc.want)
		}
	}
}
