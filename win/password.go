package win

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// Password complexity, as Windows checks a new password when the "Password
// must meet complexity requirements" policy is on (D: Microsoft, "Password
// must meet complexity requirements",
// https://learn.microsoft.com/previous-versions/windows/it-pro/windows-10/security/threat-protection/security-policy-settings/password-must-meet-complexity-requirements):
//
//   - the password does not contain the account name (samAccountName),
//     case-insensitively, when the name has three characters or more;
//   - it does not contain any token of three characters or more of the
//     full name (display name) split at commas, periods, dashes, underscores,
//     spaces, number signs and tabs;
//   - it has characters of three of five categories: upper-case letters,
//     lower-case letters, base-10 digits, the non-alphanumeric characters
//     ~!@#$%^&*_-+=`|\(){}[]:;"'<>,.?/ (currency symbols do not count), and
//     other Unicode letters (neither upper nor lower case).
//
// A fresh standalone Windows Server enforces it (R: a weak password for a
// new local account is refused with NERR_PasswordTooShort / "does not meet
// the password policy requirements"; G for every Server version msilab
// models); client editions do not by default (G).

// PasswordSpecials are the characters the complexity rule counts as
// non-alphanumeric (D).
const PasswordSpecials = "~!@#$%^&*_-+=`|\\(){}[]:;\"'<>,.?/"

// ErrPasswordComplexity is matched by every *PasswordError.
var ErrPasswordComplexity = errors.New("the password does not meet Windows' complexity requirements")

// PasswordError says why a password fails the complexity rule. It never
// holds the password.
type PasswordError struct {
	Account string
	Reasons []string
}

func (e *PasswordError) Error() string {
	return fmt.Sprintf("the password of %s does not meet Windows' complexity requirements: %s", e.Account, strings.Join(e.Reasons, "; "))
}

func (e *PasswordError) Unwrap() error { return ErrPasswordComplexity }

// PasswordCategories lists the complexity categories password has
// characters of, in the order the rule names them: "upper-case letter",
// "lower-case letter", "digit", "symbol", "other letter".
func PasswordCategories(password string) []string {
	var upper, lower, digit, special, other bool
	for _, r := range password {
		switch {
		case r >= '0' && r <= '9':
			digit = true
		case strings.ContainsRune(PasswordSpecials, r):
			special = true
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsLower(r):
			lower = true
		case unicode.IsLetter(r):
			other = true
		}
	}
	var out []string
	for _, c := range []struct {
		has  bool
		name string
	}{{upper, "upper-case letter"}, {lower, "lower-case letter"}, {digit, "digit"}, {special, "symbol"}, {other, "other letter"}} {
		if c.has {
			out = append(out, c.name)
		}
	}
	return out
}

// CheckPasswordComplexity applies the complexity rule to password for the
// local account named account, whose full name is fullName ("" when it has
// none). It returns a *PasswordError naming every rule broken.
func CheckPasswordComplexity(password, account, fullName string) error {
	var reasons []string
	lower := strings.ToLower(password)
	if len(account) >= 3 && strings.Contains(lower, strings.ToLower(account)) {
		reasons = append(reasons, "it contains the account name")
	}
	for _, tok := range strings.FieldsFunc(fullName, func(r rune) bool { return strings.ContainsRune(",.-_ #\t", r) }) {
		if len([]rune(tok)) >= 3 && strings.Contains(lower, strings.ToLower(tok)) {
			reasons = append(reasons, fmt.Sprintf("it contains %q of the full name", tok))
		}
	}
	if cats := PasswordCategories(password); len(cats) < 3 {
		have := "none"
		if len(cats) > 0 {
			have = strings.Join(cats, ", ")
		}
		reasons = append(reasons, "it needs characters of three of: upper-case letters, lower-case letters, digits, symbols ("+
			PasswordSpecials+"), other letters; it has "+have)
	}
	if len(reasons) > 0 {
		return &PasswordError{Account: account, Reasons: reasons}
	}
	return nil
}
