package win

import "strings"

// icacls output, the form docs/evidence.md#E-temp-default-acl quotes ("BUILTIN\Users:(CI)(S,WD,AD,X)").
// Rights names: `icacls /?` (D). Rules for combining them are G, checked
// against outputs quoted in public reports: tacticalrmm#1238 (Temp ACL),
// msys2/msys2-installer#51 (C:\), git-for-windows/git#190 ("Rc", "(RX,W)").

var icaclsSimple = []struct {
	code string
	mask AccessMask
}{{"F", FileAllAccess}, {"M", FileModify}, {"RX", FileReadExecute},
	{"R", FileGenericRead}, {"W", 0x100116}, {"D", Delete}}

var icaclsSpecific = []struct {
	code string
	mask AccessMask
}{{"DE", Delete}, {"Rc", ReadControl}, {"WDAC", WriteDAC}, {"WO", WriteOwner},
	{"S", Synchronize}, {"AS", 0x1000000}, {"MA", MaximumAllowed}, {"GR", GenericRead},
	{"GW", GenericWrite}, {"GE", GenericExecute}, {"GA", GenericAll}, {"RD", FileReadData},
	{"WD", FileWriteData}, {"AD", FileAppendData}, {"REA", FileReadEA}, {"WEA", FileWriteEA},
	{"X", FileExecute}, {"DC", FileDeleteChild}, {"RA", FileReadAttributes},
	{"WA", FileWriteAttributes}}

// ICACLSRights prints a mask as icacls does: "F", "RX,W", or a list of
// specific rights such as "S,WD,AD,X". GENERIC_ALL alone prints as F.
func ICACLSRights(m AccessMask) string {
	if m == 0 {
		return "N"
	}
	if m == GenericAll {
		return "F"
	}
	var parts []string
	var covered AccessMask
	for _, s := range icaclsSimple {
		if m&s.mask == s.mask && covered|s.mask != covered {
			parts = append(parts, s.code)
			covered |= s.mask
		}
	}
	if covered == m {
		return strings.Join(parts, ",")
	}
	parts = parts[:0]
	for _, s := range icaclsSpecific {
		if m&s.mask != 0 {
			parts = append(parts, s.code)
		}
	}
	return strings.Join(parts, ",")
}

// ICACLSLine prints one ACE as icacls does, with name resolving SIDs.
func ICACLSLine(a ACE, name func(SID) string) string {
	var b strings.Builder
	b.WriteString(name(a.SID) + ":")
	for _, f := range []struct {
		flag AceFlags
		code string
	}{{Inherited, "(I)"}, {ObjectInherit, "(OI)"}, {ContainerInherit, "(CI)"},
		{NoPropagateInherit, "(NP)"}, {InheritOnly, "(IO)"}} {
		if a.Flags&f.flag != 0 {
			b.WriteString(f.code)
		}
	}
	if a.Type == AccessDenied {
		b.WriteString("(DENY)")
	}
	b.WriteString("(" + ICACLSRights(a.Mask) + ")")
	return b.String()
}

// ICACLS prints a DACL as the lines of `icacls <path>`. name may be nil
// (well-known names, else the SID string).
func ICACLS(acl ACL, name func(SID) string) []string {
	if name == nil {
		name = DisplayName
	}
	if acl.Null {
		return []string{"Everyone:(F)"}
	}
	out := make([]string, 0, len(acl.ACEs))
	for _, a := range acl.ACEs {
		out = append(out, ICACLSLine(a, name))
	}
	return out
}
