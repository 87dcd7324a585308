package win

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckPasswordComplexity(t *testing.T) {
	for _, tc := range []struct {
		password, account, fullName string
		want                        string // "" = accepted; else a substring of the error
	}{
		{"Std-Passw0rd!", "msilab-user", "", ""},
		{"Adm1n<&>Pass", "msilab", "", ""},
		{"Passw0rd", "msilab-user", "", ""},  // upper, lower, digit
		{"pass-w0rd", "msilab-user", "", ""}, // lower, symbol, digit
		{"Ünïcödé-x", "msilab-user", "", ""}, // upper and lower outside ASCII, symbol
		{"日本語pass1", "msilab-user", "", ""},  // other letters, lower, digit
		{"qwertyuiop", "msilab-user", "", "it has lower-case letter"},
		{"config-test-password", "msilab-user", "", "it has lower-case letter, symbol"},
		{"PASSWORD123", "msilab-user", "", "it has upper-case letter, digit"},
		{"€€€€€€€€a1", "msilab-user", "", "it has lower-case letter, digit"}, // currency does not count
		{"", "msilab-user", "", "it has none"},
		{"X-msilab-user-1", "msilab-user", "", "contains the account name"},
		{"X-MSILAB-USER-1a", "msilab-user", "", "contains the account name"},
		{"ab-AB-12", "ab", "", ""}, // a name under three characters is not checked
		{"Lab-Owner-9", "labuser", "Lab Owner", `"Owner" of the full name`},
		{"Ow-Ner-99x", "labuser", "Lab Ow", ""}, // tokens under three characters are ignored
	} {
		err := CheckPasswordComplexity(tc.password, tc.account, tc.fullName)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%q for %s: %v", tc.password, tc.account, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, ErrPasswordComplexity)):
			t.Errorf("%q for %s: %v, want an error with %q", tc.password, tc.account, err, tc.want)
		case err != nil && tc.password != "" && strings.Contains(err.Error(), tc.password):
			t.Errorf("the error shows the password: %v", err)
		}
	}
}
