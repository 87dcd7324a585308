package win

import (
	"fmt"
	"slices"
	"strings"
)

// Extra SE_GROUP_* attributes a real token carries (winnt.h; D: "TOKEN_GROUPS").
const (
	GroupResource GroupAttrs = 0x20000000
	GroupLogonID  GroupAttrs = 0xC0000000
)

// groupWords name each attribute bit in a profile's token groups, in the
// order `whoami /groups` prints them.
var groupWords = []struct {
	bit  GroupAttrs
	word string
}{
	{GroupMandatory, "mandatory"}, {GroupEnabledByDefault, "enabled-by-default"}, {GroupEnabled, "enabled"},
	{GroupOwner, "owner"}, {GroupDenyOnly, "deny-only"}, {GroupIntegrity, "integrity"},
	{GroupIntegrityEnabled, "integrity-enabled"}, {GroupResource, "resource"}, {GroupLogonID, "logon-id"},
}

// Words are the attribute's names as profiles write them ("mandatory",
// "deny-only", "logon-id"...); bits no name covers are written as one hex word.
func (a GroupAttrs) Words() []string {
	out := []string{}
	for _, w := range groupWords {
		if a&w.bit == w.bit {
			out = append(out, w.word)
			a &^= w.bit
		}
	}
	if a != 0 {
		out = append(out, fmt.Sprintf("0x%x", uint32(a)))
	}
	return out
}

// ParseGroupAttrs is Words' inverse.
func ParseGroupAttrs(words []string) (GroupAttrs, error) {
	var a GroupAttrs
	for _, w := range words {
		i := slices.IndexFunc(groupWords, func(g struct {
			bit  GroupAttrs
			word string
		}) bool {
			return g.word == w
		})
		if i < 0 {
			var v uint32
			if _, err := fmt.Sscanf(w, "0x%x", &v); err != nil || !strings.HasPrefix(w, "0x") {
				return 0, fmt.Errorf("win: unknown group attribute %q (known: mandatory, enabled-by-default, enabled, owner, deny-only, integrity, integrity-enabled, resource, logon-id)", w)
			}
			a |= GroupAttrs(v)
			continue
		}
		a |= groupWords[i].bit
	}
	return a, nil
}

// Placeholders in a profile's token groups: the logon SID (S-1-5-5-X-Y,
// new at every logon) and the machine's account domain (S-1-5-21-a-b-c,
// new at every installation), which a captured profile must not pin.
const (
	LogonSIDPlaceholder  = "<LOGON>"
	DomainSIDPlaceholder = "<DOMAIN>"
)

// ProfileToken is the token Windows gives a context's default logon, as
// `whoami /groups /priv` shows it: its groups (not the user) and
// privileges.
type ProfileToken struct {
	Groups     []ProfileGroup     `yaml:"groups"`
	Privileges []ProfilePrivilege `yaml:"privileges"`
}

// ProfileGroup is a token group: its SID (or a placeholder form) and its
// attribute words (GroupAttrs.Words).
type ProfileGroup struct {
	SID        string   `yaml:"sid"`
	Attributes []string `yaml:"attributes,flow"`
}

// ProfilePrivilege is a privilege the token holds, enabled or not.
type ProfilePrivilege struct {
	Name    string `yaml:"name"`
	Enabled bool   `yaml:"enabled"`
}

// NormalizeTokenSID writes a token group's SID in a profile's form: a
// logon SID as <LOGON>, a SID of the machine's account domain as
// <DOMAIN>-RID.
func NormalizeTokenSID(s, domain SID) string {
	switch {
	case strings.HasPrefix(string(s), "S-1-5-5-"):
		return LogonSIDPlaceholder
	case domain != "" && s.Domain() == domain:
		return fmt.Sprintf("%s-%d", DomainSIDPlaceholder, s.RID())
	}
	return string(s)
}

// TokenProfile is a token's groups and privileges as a profile holds
// them (domain is the machine's account domain).
func TokenProfile(t *Token, domain SID) ProfileToken {
	var p ProfileToken
	for _, g := range t.Groups {
		p.Groups = append(p.Groups, ProfileGroup{SID: NormalizeTokenSID(g.SID, domain), Attributes: g.Attrs.Words()})
	}
	for _, name := range t.Privileges {
		p.Privileges = append(p.Privileges, ProfilePrivilege{Name: name, Enabled: slices.Contains(t.EnabledPrivileges, name)})
	}
	return p
}

// Apply gives t the profile's groups and privileges, <DOMAIN> read as
// domain and <LOGON> as logon; its integrity level is its label group's.
func (p ProfileToken) Apply(t *Token, domain, logon SID) error {
	groups := make([]Group, 0, len(p.Groups))
	for _, g := range p.Groups {
		sid, err := p.sid(g.SID, domain, logon)
		if err != nil {
			return err
		}
		attrs, err := ParseGroupAttrs(g.Attributes)
		if err != nil {
			return err
		}
		groups = append(groups, Group{SID: sid, Attrs: attrs})
		for l := IntegrityLow; l <= IntegritySystem; l++ {
			if sid == l.SID() {
				t.Integrity = l
			}
		}
	}
	t.Groups = groups
	t.Privileges, t.EnabledPrivileges = nil, nil
	for _, pr := range p.Privileges {
		t.Privileges = append(t.Privileges, pr.Name)
		if pr.Enabled {
			t.EnabledPrivileges = append(t.EnabledPrivileges, pr.Name)
		}
	}
	return nil
}

func (p ProfileToken) sid(s string, domain, logon SID) (SID, error) {
	switch {
	case s == LogonSIDPlaceholder:
		return logon, nil
	case strings.HasPrefix(s, DomainSIDPlaceholder+"-"):
		s = string(domain) + strings.TrimPrefix(s, DomainSIDPlaceholder)
	}
	return ParseSID(s)
}

// check validates a profile token (for a profile file).
func (p ProfileToken) check() error {
	t := &Token{}
	if err := p.Apply(t, "S-1-5-21-1-2-3", "S-1-5-5-0-1"); err != nil {
		return err
	}
	if len(t.Groups) == 0 {
		return fmt.Errorf("a token has groups")
	}
	for _, pr := range p.Privileges {
		if !strings.HasPrefix(pr.Name, "Se") || !strings.HasSuffix(pr.Name, "Privilege") {
			return fmt.Errorf("privilege %q is not a privilege name (SeXxxPrivilege)", pr.Name)
		}
	}
	return nil
}
