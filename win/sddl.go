package win

import (
	"fmt"
	"strconv"
	"strings"
)

// Security descriptors and their SDDL form. Grammar: Microsoft "Security
// Descriptor String Format", "ACE Strings", "SID Strings" and [MS-DTYP]
// 2.5.1.1 (D). Only allow and deny ACEs in a DACL are modelled; object
// and conditional ACEs in a DACL are rejected with an *SDDLError. A SACL
// is kept as written, unparsed (nothing here reads or sets audit rules).

// AceType is an ACE_HEADER AceType.
type AceType uint8

// ACE types.
const (
	AccessAllowed AceType = 0
	AccessDenied  AceType = 1
)

// AceFlags are ACE_HEADER AceFlags (winnt.h values).
type AceFlags uint8

// ACE flags.
const (
	ObjectInherit      AceFlags = 0x1  // OI
	ContainerInherit   AceFlags = 0x2  // CI
	NoPropagateInherit AceFlags = 0x4  // NP
	InheritOnly        AceFlags = 0x8  // IO
	Inherited          AceFlags = 0x10 // ID
)

// ACE is one access control entry.
type ACE struct {
	Type  AceType
	Flags AceFlags
	Mask  AccessMask
	SID   SID
}

// ACLFlags are the DACL bits of the security descriptor control field.
type ACLFlags uint8

// DACL control flags.
const (
	DACLProtected      ACLFlags = 0x1 // P, SE_DACL_PROTECTED
	DACLAutoInheritReq ACLFlags = 0x2 // AR
	DACLAutoInherited  ACLFlags = 0x4 // AI
)

// ACL is a DACL. Null means a NULL DACL (everyone gets full access); an
// ACL that is not Null and has no ACEs denies everyone.
type ACL struct {
	Null  bool
	Flags ACLFlags
	ACEs  []ACE
}

// Protected reports the P flag.
func (a ACL) Protected() bool { return a.Flags&DACLProtected != 0 }

// SecurityDescriptor holds owner, primary group and DACL.
type SecurityDescriptor struct {
	Owner SID
	Group SID
	DACL  ACL
	SACL  string // "S:..." as written, or ""
}

// Clone returns a deep copy.
func (sd SecurityDescriptor) Clone() SecurityDescriptor {
	sd.DACL.ACEs = append([]ACE(nil), sd.DACL.ACEs...)
	return sd
}

// SDDLError is a parse error at byte offset Pos.
type SDDLError struct {
	Pos int
	Msg string
}

func (e *SDDLError) Error() string { return fmt.Sprintf("sddl: %s at offset %d", e.Msg, e.Pos) }

var aceFlagCodes = []struct {
	code string
	flag AceFlags
}{{"OI", ObjectInherit}, {"CI", ContainerInherit}, {"NP", NoPropagateInherit},
	{"IO", InheritOnly}, {"ID", Inherited}}

var aclFlagCodes = []struct {
	code string
	flag ACLFlags
}{{"P", DACLProtected}, {"AR", DACLAutoInheritReq}, {"AI", DACLAutoInherited}}

// rightCodes in ascending bit order, the order Windows prints them
// (observed, e.g. "CCLCSWRPWPDTLOCRRC" and "GXGR"; G).
var rightCodes = []struct {
	code string
	mask AccessMask
}{{"CC", 0x1}, {"DC", 0x2}, {"LC", 0x4}, {"SW", 0x8}, {"RP", 0x10}, {"WP", 0x20},
	{"DT", 0x40}, {"LO", 0x80}, {"CR", 0x100}, {"SD", Delete}, {"RC", ReadControl},
	{"WD", WriteDAC}, {"WO", WriteOwner}, {"GA", GenericAll}, {"GX", GenericExecute},
	{"GW", GenericWrite}, {"GR", GenericRead}}

// compositeCodes print only on an exact match.
var compositeCodes = []struct {
	code string
	mask AccessMask
}{{"FA", FileAllAccess}, {"FR", FileGenericRead}, {"FW", FileGenericWrite},
	{"FX", FileGenericExec}, {"KA", KeyAllAccess}, {"KR", KeyRead}, {"KW", KeyWrite},
	{"KX", KeyRead}}

// MustParseSDDL is ParseSDDL for constants; it panics on error.
func MustParseSDDL(s string) SecurityDescriptor {
	sd, err := ParseSDDL(s)
	if err != nil {
		panic(err)
	}
	return sd
}

// ParseSDDL parses "O:..G:..D:..". A missing D: gives a NULL DACL.
func ParseSDDL(s string) (SecurityDescriptor, error) {
	p := &sddlParser{s: s}
	sd := SecurityDescriptor{DACL: ACL{Null: true}}
	seen := map[byte]bool{}
	for p.pos < len(s) {
		if p.pos+1 >= len(s) || s[p.pos+1] != ':' {
			return SecurityDescriptor{}, p.errf("expected O:, G:, D: or S:")
		}
		c := s[p.pos]
		if seen[c] {
			return SecurityDescriptor{}, p.errf("duplicate %c: component", c)
		}
		seen[c] = true
		p.pos += 2
		var err error
		switch c {
		case 'O':
			sd.Owner, err = p.sid()
		case 'G':
			sd.Group, err = p.sid()
		case 'D':
			sd.DACL, err = p.acl()
		case 'S':
			sd.SACL, err = p.rawSection()
		default:
			return SecurityDescriptor{}, &SDDLError{Pos: p.pos - 2, Msg: fmt.Sprintf("unknown component %q", c)}
		}
		if err != nil {
			return SecurityDescriptor{}, err
		}
	}
	return sd, nil
}

// rawSection skips a section (after its tag) up to the next top-level
// tag and returns it with its tag.
func (p *sddlParser) rawSection() (string, error) {
	start, depth := p.pos-2, 0
	for ; p.pos < len(p.s); p.pos++ {
		switch c := p.s[p.pos]; {
		case c == '(':
			depth++
		case c == ')':
			if depth--; depth < 0 {
				return "", p.errf("unbalanced parentheses")
			}
		case depth == 0 && p.pos+1 < len(p.s) && p.s[p.pos+1] == ':' && strings.IndexByte("OGD", c) >= 0:
			return p.s[start:p.pos], nil
		}
	}
	if depth != 0 {
		return "", p.errf("unbalanced parentheses")
	}
	return p.s[start:], nil
}

type sddlParser struct {
	s   string
	pos int
}

func (p *sddlParser) errf(format string, a ...any) error {
	return &SDDLError{Pos: p.pos, Msg: fmt.Sprintf(format, a...)}
}

func (p *sddlParser) has(prefix string) bool { return strings.HasPrefix(p.s[p.pos:], prefix) }

// sid reads an alias (two letters) or a full "S-1-..." SID.
func (p *sddlParser) sid() (SID, error) {
	start := p.pos
	if p.has("S-") || p.has("s-") {
		i := p.pos + 2
		for i < len(p.s) && (p.s[i] == '-' || isHexDigit(p.s[i]) || p.s[i] == 'x' || p.s[i] == 'X') {
			// stop before a component letter such as "D:" or "G:"
			if i+1 < len(p.s) && p.s[i+1] == ':' {
				break
			}
			i++
		}
		sid, err := ParseSID(p.s[start:i])
		if err != nil {
			return "", &SDDLError{Pos: start, Msg: err.Error()}
		}
		p.pos = i
		return sid, nil
	}
	if p.pos+2 > len(p.s) {
		return "", p.errf("expected a SID")
	}
	alias := p.s[p.pos : p.pos+2]
	sid, ok := sddlAliases[alias]
	if !ok {
		return "", p.errf("unknown SID alias %q", alias)
	}
	p.pos += 2
	return sid, nil
}

func isHexDigit(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func (p *sddlParser) acl() (ACL, error) {
	var acl ACL
flags:
	for p.pos < len(p.s) && p.s[p.pos] != '(' {
		if p.pos+1 < len(p.s) && p.s[p.pos+1] == ':' {
			return acl, nil // next component
		}
		if p.has("NO_ACCESS_CONTROL") {
			p.pos += len("NO_ACCESS_CONTROL")
			acl.Null = true
			break
		}
		for _, f := range aclFlagCodes {
			if p.has(f.code) {
				acl.Flags |= f.flag
				p.pos += len(f.code)
				continue flags
			}
		}
		return ACL{}, p.errf("bad DACL flag")
	}
	for p.pos < len(p.s) && p.s[p.pos] == '(' {
		if acl.Null {
			return ACL{}, p.errf("ACEs after NO_ACCESS_CONTROL")
		}
		ace, err := p.ace()
		if err != nil {
			return ACL{}, err
		}
		acl.ACEs = append(acl.ACEs, ace)
	}
	return acl, nil
}

func (p *sddlParser) ace() (ACE, error) {
	start := p.pos
	end := strings.IndexByte(p.s[p.pos:], ')')
	if end < 0 {
		return ACE{}, p.errf("unterminated ACE")
	}
	body := p.s[p.pos+1 : p.pos+end]
	fields := strings.Split(body, ";")
	if len(fields) != 6 {
		return ACE{}, &SDDLError{Pos: start, Msg: fmt.Sprintf("ACE has %d fields, want 6", len(fields))}
	}
	off := func(i int) int { // byte offset of field i
		o := start + 1
		for j := 0; j < i; j++ {
			o += len(fields[j]) + 1
		}
		return o
	}
	var ace ACE
	switch fields[0] {
	case "A":
		ace.Type = AccessAllowed
	case "D":
		ace.Type = AccessDenied
	default:
		return ACE{}, &SDDLError{Pos: off(0), Msg: fmt.Sprintf("ACE type %q is not modelled", fields[0])}
	}
	f := fields[1]
	for i := 0; i < len(f); i += 2 {
		ok := false
		for _, c := range aceFlagCodes {
			if strings.HasPrefix(f[i:], c.code) {
				ace.Flags |= c.flag
				ok = true
				break
			}
		}
		if !ok {
			return ACE{}, &SDDLError{Pos: off(1) + i, Msg: "bad ACE flag"}
		}
	}
	mask, err := parseRights(fields[2])
	if err != nil {
		return ACE{}, &SDDLError{Pos: off(2), Msg: err.Error()}
	}
	ace.Mask = mask
	if fields[3] != "" || fields[4] != "" {
		return ACE{}, &SDDLError{Pos: off(3), Msg: "object ACE GUIDs are not modelled"}
	}
	sp := &sddlParser{s: fields[5]}
	sid, err := sp.sid()
	if err == nil && sp.pos != len(fields[5]) {
		err = sp.errf("trailing characters after SID")
	}
	if err != nil {
		se := err.(*SDDLError)
		return ACE{}, &SDDLError{Pos: off(5) + se.Pos, Msg: se.Msg}
	}
	ace.SID = sid
	p.pos += end + 1
	return ace, nil
}

func parseRights(s string) (AccessMask, error) {
	if s == "" {
		return 0, fmt.Errorf("empty rights")
	}
	if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
		v, err := strconv.ParseUint(s[2:], 16, 32)
		if err != nil {
			return 0, fmt.Errorf("bad hex rights %q", s)
		}
		return AccessMask(v), nil
	}
	if s[0] >= '0' && s[0] <= '9' {
		v, err := strconv.ParseUint(s, 10, 32)
		if err != nil {
			return 0, fmt.Errorf("bad rights %q", s)
		}
		return AccessMask(v), nil
	}
	var m AccessMask
	for i := 0; i < len(s); i += 2 {
		if i+2 > len(s) {
			return 0, fmt.Errorf("bad rights %q", s)
		}
		code := s[i : i+2]
		v, ok := rightByCode(code)
		if !ok {
			return 0, fmt.Errorf("unknown right %q", code)
		}
		m |= v
	}
	return m, nil
}

func rightByCode(code string) (AccessMask, bool) {
	for _, c := range compositeCodes {
		if c.code == code {
			return c.mask, true
		}
	}
	for _, c := range rightCodes {
		if c.code == code {
			return c.mask, true
		}
	}
	return 0, false
}

// FormatRights prints a mask as Windows does: a composite code on an exact
// match (FA, FR, ...), else two-letter codes if they cover every bit, else
// lower-case hex such as 0x1200a9.
func FormatRights(m AccessMask) string {
	for _, c := range compositeCodes {
		if m == c.mask {
			return c.code
		}
	}
	var b strings.Builder
	rest := m
	for _, c := range rightCodes {
		if m&c.mask != 0 {
			b.WriteString(c.code)
			rest &^= c.mask
		}
	}
	if rest != 0 || m == 0 {
		return fmt.Sprintf("0x%x", uint32(m))
	}
	return b.String()
}

// SIDString prints an alias when one exists, else the full SID.
func SIDString(s SID) string {
	if a, ok := aliasOf[s]; ok {
		return a
	}
	return string(s)
}

// String formats the ACE in SDDL, e.g. "(A;OICI;FA;;;SY)".
func (a ACE) String() string {
	t := "A"
	if a.Type == AccessDenied {
		t = "D"
	}
	var f strings.Builder
	for _, c := range aceFlagCodes {
		if a.Flags&c.flag != 0 {
			f.WriteString(c.code)
		}
	}
	return "(" + t + ";" + f.String() + ";" + FormatRights(a.Mask) + ";;;" + SIDString(a.SID) + ")"
}

// String formats the DACL part after "D:".
func (a ACL) String() string {
	var b strings.Builder
	for _, c := range aclFlagCodes {
		if a.Flags&c.flag != 0 {
			b.WriteString(c.code)
		}
	}
	if a.Null {
		b.WriteString("NO_ACCESS_CONTROL")
		return b.String()
	}
	for _, ace := range a.ACEs {
		b.WriteString(ace.String())
	}
	return b.String()
}

// String formats the descriptor in canonical SDDL.
func (sd SecurityDescriptor) String() string {
	var b strings.Builder
	if sd.Owner != "" {
		b.WriteString("O:" + SIDString(sd.Owner))
	}
	if sd.Group != "" {
		b.WriteString("G:" + SIDString(sd.Group))
	}
	b.WriteString("D:" + sd.DACL.String())
	b.WriteString(sd.SACL)
	return b.String()
}
