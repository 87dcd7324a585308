package lab_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/msilab/msilab/lab"
)

// standard_user is never the connecting account nor a built-in account:
// user.ensure would reset its password (and the module would refuse it on
// the host anyway). lab.yaml says so, naming the key.
func TestInventoryStandardUser(t *testing.T) {
	withStd := func(user, std string) string {
		return strings.Replace(goodHost, "user: msilab\n", "user: "+user+"\n    standard_user: "+std+"\n", 1)
	}
	for _, tc := range []struct{ name, user, std, want string }{
		{"same as user", `msilab`, `msilab`, `standard_user "msilab" is the connecting account (user)`},
		{"other case", `msilab`, `MSILAB`, `standard_user "MSILAB" is the connecting account (user)`},
		{"user with .\\", `'.\msilab'`, `msilab`, `standard_user "msilab" is the connecting account (user)`},
		{"user with HOST\\", `'WIN11-A\msilab'`, `Msilab`, `standard_user "Msilab" is the connecting account (user)`},
		{"standard_user with HOST\\", `msilab`, `'WIN11-A\msilab'`, `standard_user "WIN11-A\\msilab" is the connecting account (user)`},
		{"Administrator", `msilab`, `administrator`, `standard_user "administrator" is a built-in Windows account`},
		{"Guest", `msilab`, `Guest`, `standard_user "Guest" is a built-in Windows account`},
		{"DefaultAccount", `msilab`, `DefaultAccount`, `standard_user "DefaultAccount" is a built-in Windows account`},
		{"WDAGUtilityAccount", `msilab`, `WDAGUtilityAccount`, `standard_user "WDAGUtilityAccount" is a built-in Windows account`},
		{"krbtgt", `msilab`, `krbtgt`, `standard_user "krbtgt" is a built-in Windows account`},
		{"SYSTEM", `msilab`, `'NT AUTHORITY\SYSTEM'`, `standard_user "NT AUTHORITY\\SYSTEM" is a built-in Windows account`},
		{"LocalService", `msilab`, `LocalService`, `standard_user "LocalService" is a built-in Windows account`},
		{"NetworkService", `msilab`, `NetworkService`, `standard_user "NetworkService" is a built-in Windows account`},
		{"a domain account", `msilab`, `'CORP\alice'`, `standard_user "CORP\\alice" is not a local account name`},
		{"bad characters", `msilab`, `'a*b'`, `standard_user "a*b" is not a local account name`},
	} {
		_, err := lab.ParseInventory("lab.yaml", []byte(withStd(tc.user, tc.std)), oses)
		var ie *lab.InventoryError
		if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.As(err, &ie) || ie.Line != 2 {
			t.Errorf("%s: %v\nwant lab.yaml:2: ...%s", tc.name, err, tc.want)
		}
	}
	for _, std := range []string{"msilab-user", "labuser", "msilab2", `'.\labuser'`} {
		inv, err := lab.ParseInventory("lab.yaml", []byte(withStd("msilab", std)), oses)
		if err != nil {
			t.Errorf("standard_user %s: %v", std, err)
			continue
		}
		if got := inv.Hosts[0].StandardUser; strings.Contains(got, `\`) {
			t.Errorf("standard_user %s is kept as %q, not as the bare local name", std, got)
		}
	}
}
