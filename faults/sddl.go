package faults

import (
	"fmt"
	"strconv"
	"strings"
)

// SDDL as acl.get returns it and acl.set takes it: "O:<sid>G:<sid>D:<flags>(ace)(ace)...".
// Only the parts the faults touch are parsed: the DACL's flags and ACE
// strings, which are kept as written so that a DACL is sent back exactly.
// Format: https://learn.microsoft.com/windows/win32/secauthz/security-descriptor-string-format
// ACE strings: https://learn.microsoft.com/windows/win32/secauthz/ace-strings

// sddlParts is a security descriptor string split into its sections.
type sddlParts struct {
	Owner, Group string // SIDs or aliases ("" when absent)
	DACL         string // "D:..." ("" when absent)
}

// splitSDDL splits an SDDL string at its top-level O:, G:, D: and S: tags.
func splitSDDL(s string) (sddlParts, error) {
	var out sddlParts
	tag, start, depth := byte(0), 0, 0
	end := func(i int) {
		part := s[start:i]
		switch tag {
		case 'O':
			out.Owner = part[2:]
		case 'G':
			out.Group = part[2:]
		case 'D':
			out.DACL = part
		}
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '(':
			depth++
		case c == ')':
			depth--
		case depth == 0 && i+1 < len(s) && s[i+1] == ':' && strings.IndexByte("OGDS", c) >= 0:
			if tag != 0 {
				end(i)
			} else if i != 0 {
				return out, fmt.Errorf("%w: SDDL %q does not start with a section tag", ErrProbe, s)
			}
			tag, start = c, i
			i++
		}
		if depth < 0 {
			return out, fmt.Errorf("%w: SDDL %q has unbalanced parentheses", ErrProbe, s)
		}
	}
	if depth != 0 {
		return out, fmt.Errorf("%w: SDDL %q has unbalanced parentheses", ErrProbe, s)
	}
	if tag != 0 {
		end(len(s))
	}
	return out, nil
}

// ace is one ACE string, its fields as written.
type ace struct {
	Type, Flags, Rights, SID string
	raw                      string // "(...)"
}

// dacl is a DACL: its flags (P, AI, AR...) and ACEs in order.
type dacl struct {
	Flags string
	ACEs  []ace
}

// parseDACL parses "D:<flags>(ace)(ace)...".
func parseDACL(d string) (dacl, error) {
	if !strings.HasPrefix(d, "D:") {
		return dacl{}, fmt.Errorf("%w: DACL %q does not start with D:", ErrProbe, d)
	}
	rest := d[2:]
	i := strings.IndexByte(rest, '(')
	if i < 0 {
		return dacl{Flags: rest}, nil
	}
	out := dacl{Flags: rest[:i]}
	rest = rest[i:]
	for rest != "" {
		if rest[0] != '(' {
			return dacl{}, fmt.Errorf("%w: DACL %q: text between ACEs", ErrProbe, d)
		}
		depth, j := 0, 0
		for j = 0; j < len(rest); j++ {
			if rest[j] == '(' {
				depth++
			} else if rest[j] == ')' {
				if depth--; depth == 0 {
					break
				}
			}
		}
		if j == len(rest) {
			return dacl{}, fmt.Errorf("%w: DACL %q: unclosed ACE", ErrProbe, d)
		}
		raw := rest[:j+1]
		f := strings.SplitN(raw[1:len(raw)-1], ";", 7)
		if len(f) < 6 {
			return dacl{}, fmt.Errorf("%w: DACL %q: ACE %s has fewer than 6 fields", ErrProbe, d, raw)
		}
		out.ACEs = append(out.ACEs, ace{Type: f[0], Flags: f[1], Rights: f[2], SID: f[5], raw: raw})
		rest = rest[j+1:]
	}
	return out, nil
}

func (d dacl) String() string {
	var b strings.Builder
	b.WriteString("D:")
	b.WriteString(d.Flags)
	for _, a := range d.ACEs {
		b.WriteString(a.raw)
	}
	return b.String()
}

// protected reports the P flag: the DACL does not inherit.
func (d dacl) protected() bool { return strings.Contains(d.Flags, "P") }

// explicit lists the ACEs that are not inherited.
func (d dacl) explicit() []ace {
	var out []ace
	for _, a := range d.ACEs {
		if !a.inherited() {
			out = append(out, a)
		}
	}
	return out
}

// withFirst returns the DACL with a put in front of its ACEs (where a deny
// ACE goes in canonical order), unless an identical ACE is there already.
func (d dacl) withFirst(a ace) dacl {
	for _, b := range d.ACEs {
		if b.raw == a.raw {
			return d
		}
	}
	d.ACEs = append([]ace{a}, d.ACEs...)
	return d
}

// newACE builds an ACE string from its type, flags, rights and SID.
func newACE(typ, flags, rights, sid string) ace {
	return ace{Type: typ, Flags: flags, Rights: rights, SID: sid,
		raw: "(" + typ + ";" + flags + ";" + rights + ";;;" + sid + ")"}
}

func (a ace) allow() bool { return a.Type == "A" }
func (a ace) deny() bool  { return a.Type == "D" }

func (a ace) hasFlag(f string) bool {
	for i := 0; i+1 < len(a.Flags); i += 2 {
		if a.Flags[i:i+2] == f {
			return true
		}
	}
	return false
}

// inheritOnly ACEs do not apply to the object itself.
func (a ace) inheritOnly() bool { return a.hasFlag("IO") }
func (a ace) inherited() bool   { return a.hasFlag("ID") }

// is reports whether the ACE's trustee is sid (an alias or S-1-... form).
func (a ace) is(sid string) bool { return sameSID(a.SID, sid) }

// File access rights (winnt.h) and the file generic mapping (D: "File
// Security and Access Rights").
const (
	fileAddFile   uint32 = 0x2 // FILE_WRITE_DATA on a file
	readControl   uint32 = 0x20000
	writeDAC      uint32 = 0x40000
	genericAll    uint32 = 0x10000000
	genericExec   uint32 = 0x20000000
	genericWrite  uint32 = 0x40000000
	genericRead   uint32 = 0x80000000
	fileAllAccess uint32 = 0x1F01FF
	fileGenRead   uint32 = 0x120089
	fileGenWrite  uint32 = 0x120116
	fileGenExec   uint32 = 0x1200A0
)

// rightCodes are the two-letter access rights of ACE strings.
var rightCodes = map[string]uint32{
	"GA": genericAll, "GR": genericRead, "GW": genericWrite, "GX": genericExec,
	"RC": readControl, "SD": 0x10000, "WD": writeDAC, "WO": 0x80000,
	"RP": 0x10, "WP": 0x20, "CC": 0x1, "DC": 0x2, "LC": 0x4, "SW": 0x8, "LO": 0x80, "DT": 0x40, "CR": 0x100,
	"FA": fileAllAccess, "FR": fileGenRead, "FW": fileGenWrite, "FX": fileGenExec,
	"KA": 0xF003F, "KR": 0x20019, "KW": 0x20006, "KX": 0x20019,
}

// mask is the ACE's access mask with generic rights mapped for files.
func (a ace) mask() (uint32, error) {
	var m uint32
	if strings.HasPrefix(a.Rights, "0x") || strings.HasPrefix(a.Rights, "0X") ||
		(a.Rights != "" && a.Rights[0] >= '0' && a.Rights[0] <= '9') {
		n, err := strconv.ParseUint(a.Rights, 0, 32)
		if err != nil {
			return 0, fmt.Errorf("%w: ACE %s: rights %q", ErrProbe, a.raw, a.Rights)
		}
		m = uint32(n)
	} else {
		for i := 0; i < len(a.Rights); i += 2 {
			if i+2 > len(a.Rights) {
				return 0, fmt.Errorf("%w: ACE %s: rights %q", ErrProbe, a.raw, a.Rights)
			}
			r, ok := rightCodes[a.Rights[i:i+2]]
			if !ok {
				return 0, fmt.Errorf("%w: ACE %s: right %q", ErrProbe, a.raw, a.Rights[i:i+2])
			}
			m |= r
		}
	}
	for _, g := range []struct{ bit, to uint32 }{{genericAll, fileAllAccess}, {genericRead, fileGenRead},
		{genericWrite, fileGenWrite}, {genericExec, fileGenExec}} {
		if m&g.bit != 0 {
			m = m&^g.bit | g.to
		}
	}
	return m, nil
}

// grants reports whether the ACE applies to the object itself and its
// mapped mask has any of bits.
func (a ace) grants(bits uint32) bool {
	if a.inheritOnly() {
		return false
	}
	m, err := a.mask()
	return err == nil && m&bits != 0
}

// Well-known SIDs and their SDDL aliases (D: "SID Strings").
const (
	sidSystem = "S-1-5-18"
	sidAdmins = "S-1-5-32-544"
	sidUsers  = "S-1-5-32-545"
)

var sidAliases = map[string]string{
	"SY": sidSystem, "BA": sidAdmins, "BU": sidUsers, "CO": "S-1-3-0", "CG": "S-1-3-1",
	"WD": "S-1-1-0", "AU": "S-1-5-11", "IU": "S-1-5-4", "SU": "S-1-5-6", "NS": "S-1-5-20",
	"LS": "S-1-5-19", "OW": "S-1-3-4", "AC": "S-1-15-2-1",
}

func sameSID(a, b string) bool {
	if v, ok := sidAliases[a]; ok {
		a = v
	}
	if v, ok := sidAliases[b]; ok {
		b = v
	}
	return strings.EqualFold(a, b)
}

// daclOf parses the DACL of an acl.get result's SDDL.
func daclOf(sddl string) (dacl, error) {
	parts, err := splitSDDL(sddl)
	if err != nil {
		return dacl{}, err
	}
	if parts.DACL == "" {
		return dacl{}, fmt.Errorf("%w: SDDL %q has no DACL", ErrProbe, sddl)
	}
	return parseDACL(parts.DACL)
}
