package lab

import (
	"fmt"
	"strings"
)

// builtinAccounts are the accounts Windows makes itself, by their default
// names (lower case): the local ones (Administrator RID 500, Guest 501,
// DefaultAccount 503, WDAGUtilityAccount 504), a domain's krbtgt (502),
// and the service accounts of NT AUTHORITY. None may be the lab's standard
// user (D: "Well-known SIDs"; "Local Accounts").
var builtinAccounts = map[string]bool{
	"administrator": true, "guest": true, "defaultaccount": true, "wdagutilityaccount": true, "krbtgt": true,
	"system": true, "localsystem": true, "local system": true, "localservice": true, "local service": true,
	"networkservice": true, "network service": true, "trustedinstaller": true, "anonymous logon": true,
	"defaultuser0": true, "homegroupuser$": true,
}

// accountName is an account without its domain: "msilab" for msilab,
// .\msilab, HOST\msilab or msilab@HOST; domain is what came before the
// backslash ("" when none, "." for the local machine).
func accountName(user string) (domain, name string) {
	if i := strings.LastIndexByte(user, '\\'); i >= 0 {
		domain, user = user[:i], user[i+1:]
	}
	if i := strings.IndexByte(user, '@'); i >= 0 {
		domain, user = user[i+1:], user[:i]
	}
	return domain, user
}

// checkStandardUser checks standard_user against user: never the
// connecting account (user.ensure would reset its password), never a
// built-in account, and a local account name (what user.ensure creates;
// rules as the module's: none of \/"[]:|<>+=;,?*@, at most 20
// characters). It returns the bare name. Whether the account is an
// administrator only the host knows: user.ensure refuses one there.
func checkStandardUser(user, std string) (string, error) {
	_, userName := accountName(user)
	domain, name := accountName(std)
	switch {
	case strings.EqualFold(name, userName):
		return "", fmt.Errorf("standard_user %q is the connecting account (user): msilab resets the standard user's password and groups, so it must be a separate, non-administrator account", std)
	case builtinAccounts[strings.ToLower(name)] || strings.EqualFold(domain, "NT AUTHORITY"):
		return "", fmt.Errorf("standard_user %q is a built-in Windows account: name a separate, non-administrator local account (msilab creates it)", std)
	case domain != "" && domain != "." || name == "" || len([]rune(name)) > 20 ||
		strings.ContainsAny(name, `\/"[]:|<>+=;,?*@`) || strings.Trim(name, ". ") == "":
		return "", fmt.Errorf(`standard_user %q is not a local account name (at most 20 characters, none of \/"[]:|<>+=;,?*@, no domain): msilab creates it as a local account`, std)
	}
	return name, nil
}
