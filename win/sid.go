package win

import (
	"fmt"
	"strconv"
	"strings"
)

// SID is a security identifier in its string form, "S-1-5-18".
// Well-known values: Microsoft "Well-known SIDs" and "SID Strings" (D).
type SID string

// Well-known SIDs.
const (
	SIDEveryone             SID = "S-1-1-0"
	SIDLocal                SID = "S-1-2-0"
	SIDConsoleLogon         SID = "S-1-2-1"
	SIDCreatorOwner         SID = "S-1-3-0"
	SIDCreatorGroup         SID = "S-1-3-1"
	SIDOwnerRights          SID = "S-1-3-4"
	SIDNetwork              SID = "S-1-5-2"
	SIDBatch                SID = "S-1-5-3"
	SIDInteractive          SID = "S-1-5-4"
	SIDService              SID = "S-1-5-6"
	SIDAnonymous            SID = "S-1-5-7"
	SIDPrincipalSelf        SID = "S-1-5-10"
	SIDAuthenticatedUsers   SID = "S-1-5-11"
	SIDThisOrganization     SID = "S-1-5-15"
	SIDSystem               SID = "S-1-5-18"
	SIDLocalService         SID = "S-1-5-19"
	SIDNetworkService       SID = "S-1-5-20"
	SIDAdministrators       SID = "S-1-5-32-544"
	SIDUsers                SID = "S-1-5-32-545"
	SIDGuests               SID = "S-1-5-32-546"
	SIDNTLMAuthentication   SID = "S-1-5-64-10"
	SIDLocalAccount         SID = "S-1-5-113"
	SIDLocalAccountAdmin    SID = "S-1-5-114"
	SIDTrustedInstaller     SID = "S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464"
	SIDAllAppPackages       SID = "S-1-15-2-1"
	SIDAllRestrictedAppPkgs SID = "S-1-15-2-2"
	SIDLowLabel             SID = "S-1-16-4096"
	SIDMediumLabel          SID = "S-1-16-8192"
	SIDHighLabel            SID = "S-1-16-12288"
	SIDSystemLabel          SID = "S-1-16-16384"
)

// sddlAliases maps SDDL SID strings to SIDs (Microsoft "SID Strings", D).
// Domain-relative aliases (LA, LG, DA, ...) are not modelled.
var sddlAliases = map[string]SID{
	"AC": SIDAllAppPackages,
	"AN": SIDAnonymous,
	"AU": SIDAuthenticatedUsers,
	"BA": SIDAdministrators,
	"BG": SIDGuests,
	"BU": SIDUsers,
	"CG": SIDCreatorGroup,
	"CO": SIDCreatorOwner,
	"IU": SIDInteractive,
	"LS": SIDLocalService,
	"NS": SIDNetworkService,
	"NU": SIDNetwork,
	"OW": SIDOwnerRights,
	"PS": SIDPrincipalSelf,
	"SU": SIDService,
	"SY": SIDSystem,
	"WD": SIDEveryone,
	"HI": SIDHighLabel,
	"LW": SIDLowLabel,
	"ME": SIDMediumLabel,
	"SI": SIDSystemLabel,
}

var aliasOf = func() map[SID]string {
	m := make(map[SID]string, len(sddlAliases))
	for a, s := range sddlAliases {
		m[s] = a
	}
	return m
}()

// wellKnownNames are the account names Windows (en-US) shows for SIDs.
var wellKnownNames = map[SID]string{
	SIDEveryone:             "Everyone",
	SIDLocal:                "LOCAL",
	SIDConsoleLogon:         "CONSOLE LOGON",
	SIDCreatorOwner:         "CREATOR OWNER",
	SIDCreatorGroup:         "CREATOR GROUP",
	SIDOwnerRights:          "OWNER RIGHTS",
	SIDNetwork:              `NT AUTHORITY\NETWORK`,
	SIDBatch:                `NT AUTHORITY\BATCH`,
	SIDInteractive:          `NT AUTHORITY\INTERACTIVE`,
	SIDService:              `NT AUTHORITY\SERVICE`,
	SIDAnonymous:            `NT AUTHORITY\ANONYMOUS LOGON`,
	SIDPrincipalSelf:        `NT AUTHORITY\SELF`,
	SIDAuthenticatedUsers:   `NT AUTHORITY\Authenticated Users`,
	SIDThisOrganization:     `NT AUTHORITY\This Organization`,
	SIDSystem:               `NT AUTHORITY\SYSTEM`,
	SIDLocalService:         `NT AUTHORITY\LOCAL SERVICE`,
	SIDNetworkService:       `NT AUTHORITY\NETWORK SERVICE`,
	SIDAdministrators:       `BUILTIN\Administrators`,
	SIDUsers:                `BUILTIN\Users`,
	SIDGuests:               `BUILTIN\Guests`,
	SIDNTLMAuthentication:   `NT AUTHORITY\NTLM Authentication`,
	SIDLocalAccount:         `NT AUTHORITY\Local account`,
	SIDLocalAccountAdmin:    `NT AUTHORITY\Local account and member of Administrators group`,
	SIDTrustedInstaller:     `NT SERVICE\TrustedInstaller`,
	SIDAllAppPackages:       `APPLICATION PACKAGE AUTHORITY\ALL APPLICATION PACKAGES`,
	SIDAllRestrictedAppPkgs: `APPLICATION PACKAGE AUTHORITY\ALL RESTRICTED APPLICATION PACKAGES`,
	SIDLowLabel:             `Mandatory Label\Low Mandatory Level`,
	SIDMediumLabel:          `Mandatory Label\Medium Mandatory Level`,
	SIDHighLabel:            `Mandatory Label\High Mandatory Level`,
	SIDSystemLabel:          `Mandatory Label\System Mandatory Level`,
}

// WellKnownName returns the display name of a well-known SID.
func WellKnownName(s SID) (string, bool) {
	n, ok := wellKnownNames[s]
	return n, ok
}

// ParseSID validates a SID string (S-R-I-S...) and returns it canonical:
// upper-case "S", decimal fields. At most 15 sub-authorities.
func ParseSID(s string) (SID, error) {
	parts := strings.Split(s, "-")
	if len(parts) < 3 || (parts[0] != "S" && parts[0] != "s") || parts[1] != "1" {
		return "", fmt.Errorf("win: malformed SID %q", s)
	}
	if len(parts)-3 > 15 {
		return "", fmt.Errorf("win: SID %q has too many sub-authorities", s)
	}
	out := []string{"S", "1"}
	auth, err := parseAuthority(parts[2])
	if err != nil {
		return "", fmt.Errorf("win: malformed SID %q: %w", s, err)
	}
	out = append(out, strconv.FormatUint(auth, 10))
	for _, p := range parts[3:] {
		if p == "" || len(p) > 10 || strings.IndexFunc(p, notDigit) >= 0 {
			return "", fmt.Errorf("win: malformed SID %q", s)
		}
		v, err := strconv.ParseUint(p, 10, 32)
		if err != nil {
			return "", fmt.Errorf("win: malformed SID %q: %w", s, err)
		}
		out = append(out, strconv.FormatUint(v, 10))
	}
	return SID(strings.Join(out, "-")), nil
}

func parseAuthority(p string) (uint64, error) {
	if strings.HasPrefix(p, "0x") || strings.HasPrefix(p, "0X") {
		if len(p) < 3 || len(p) > 14 {
			return 0, fmt.Errorf("bad authority")
		}
		return strconv.ParseUint(p[2:], 16, 48)
	}
	if p == "" || len(p) > 15 || strings.IndexFunc(p, notDigit) >= 0 {
		return 0, fmt.Errorf("bad authority")
	}
	return strconv.ParseUint(p, 10, 48)
}

func notDigit(r rune) bool { return r < '0' || r > '9' }

// MachineSIDPrefix is the local account domain, S-1-5-21-a-b-c.
func MachineSIDPrefix(a, b, c uint32) SID {
	return SID(fmt.Sprintf("S-1-5-21-%d-%d-%d", a, b, c))
}

// WithRID appends a relative ID to a domain SID.
func (s SID) WithRID(rid uint32) SID { return SID(fmt.Sprintf("%s-%d", s, rid)) }

// RID returns the last sub-authority, or 0 when s has none.
func (s SID) RID() uint32 {
	parts := strings.Split(string(s), "-")
	if len(parts) < 4 {
		return 0
	}
	v, err := strconv.ParseUint(parts[len(parts)-1], 10, 32)
	if err != nil {
		return 0
	}
	return uint32(v)
}

// Domain returns s without its RID.
func (s SID) Domain() SID {
	i := strings.LastIndexByte(string(s), '-')
	if i < 0 {
		return ""
	}
	return s[:i]
}
