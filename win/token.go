package win

import "slices"

// TokenKind names the install contexts of docs/architecture.md ("Install contexts").
type TokenKind string

// Token kinds.
const (
	KindAdminElevated TokenKind = "admin-elevated"
	KindAdminFiltered TokenKind = "admin-filtered"
	KindStandardUser  TokenKind = "standard-user"
	KindSystem        TokenKind = "system"
)

// IntegrityLevel is a mandatory integrity level.
type IntegrityLevel int

// Integrity levels.
const (
	IntegrityLow IntegrityLevel = iota + 1
	IntegrityMedium
	IntegrityHigh
	IntegritySystem
)

// SID returns the mandatory label SID (S-1-16-x).
func (l IntegrityLevel) SID() SID {
	return map[IntegrityLevel]SID{IntegrityLow: SIDLowLabel, IntegrityMedium: SIDMediumLabel,
		IntegrityHigh: SIDHighLabel, IntegritySystem: SIDSystemLabel}[l]
}

func (l IntegrityLevel) String() string {
	return map[IntegrityLevel]string{IntegrityLow: "Low", IntegrityMedium: "Medium",
		IntegrityHigh: "High", IntegritySystem: "System"}[l]
}

// GroupAttrs are SE_GROUP_* attributes (winnt.h values; D: "SID Attributes
// in an Access Token", "TOKEN_GROUPS").
type GroupAttrs uint32

// Group attributes.
const (
	GroupMandatory        GroupAttrs = 0x1
	GroupEnabledByDefault GroupAttrs = 0x2
	GroupEnabled          GroupAttrs = 0x4
	GroupOwner            GroupAttrs = 0x8
	GroupDenyOnly         GroupAttrs = 0x10
	GroupIntegrity        GroupAttrs = 0x20
	GroupIntegrityEnabled GroupAttrs = 0x40
)

// Group is a SID in a token with its attributes.
type Group struct {
	SID   SID
	Attrs GroupAttrs
}

// LogonType is how Windows logged the token's user on; it decides the
// logon group Windows puts in the token (D: "Well-known SIDs": INTERACTIVE
// S-1-5-4 "users who log on for interactive operation", BATCH S-1-5-3
// "users who log on using a batch queue facility, such as task scheduler
// jobs", NETWORK S-1-5-2 "users who log on across a network", SERVICE
// S-1-5-6 "security principals that log on as a service"; LogonUser's
// LOGON32_LOGON_* types).
type LogonType int

// Logon types. LogonDefault picks the kind's usual logon: network for
// admin-elevated (the WinRM session), interactive for admin-filtered and
// standard-user (LogonUser with LOGON32_LOGON_INTERACTIVE), none for
// system.
const (
	LogonDefault LogonType = iota
	LogonInteractive
	LogonNetwork
	LogonBatch   // a scheduled task's S4U or stored-password logon
	LogonService // a service's logon
)

func (l LogonType) String() string {
	return map[LogonType]string{LogonDefault: "default", LogonInteractive: "interactive", LogonNetwork: "network",
		LogonBatch: "batch", LogonService: "service"}[l]
}

// LogonGroup is the well-known group a logon of this type adds ("" for
// LogonDefault).
func (l LogonType) LogonGroup() SID {
	return map[LogonType]SID{LogonInteractive: SIDInteractive, LogonNetwork: SIDNetwork,
		LogonBatch: SIDBatch, LogonService: SIDService}[l]
}

// Token is an access token.
type Token struct {
	Kind         TokenKind
	User         SID
	Owner        SID // default owner of objects it creates
	PrimaryGroup SID
	Groups       []Group
	Integrity    IntegrityLevel
	Elevated     bool
	Privileges   []string
	// EnabledPrivileges are the held privileges enabled (by default);
	// `whoami /priv` shows the others Disabled.
	EnabledPrivileges []string
	Logon             LogonType
	DefaultDACL       []ACE // used when a new object inherits nothing
}

// TokenSpec describes the token to build. Domain is the machine's account
// domain (S-1-5-21-a-b-c); its RID 513 ("None") is a local user's
// primary group.
type TokenSpec struct {
	Kind   TokenKind
	User   SID
	Domain SID
	Logon  LogonType
}

const (
	on      = GroupMandatory | GroupEnabledByDefault | GroupEnabled
	denyOnl = GroupDenyOnly
	label   = GroupIntegrity | GroupIntegrityEnabled
)

// Privileges as `whoami /priv` lists them (G: typical lists, to confirm).
var (
	userPrivileges = []string{"SeShutdownPrivilege", "SeChangeNotifyPrivilege",
		"SeUndockPrivilege", "SeIncreaseWorkingSetPrivilege", "SeTimeZonePrivilege"}
	adminPrivileges = []string{"SeIncreaseQuotaPrivilege", "SeSecurityPrivilege",
		"SeTakeOwnershipPrivilege", "SeLoadDriverPrivilege", "SeSystemProfilePrivilege",
		"SeSystemtimePrivilege", "SeProfileSingleProcessPrivilege",
		"SeIncreaseBasePriorityPrivilege", "SeCreatePagefilePrivilege", "SeBackupPrivilege",
		"SeRestorePrivilege", "SeShutdownPrivilege", "SeDebugPrivilege",
		"SeSystemEnvironmentPrivilege", "SeChangeNotifyPrivilege",
		"SeRemoteShutdownPrivilege", "SeUndockPrivilege", "SeManageVolumePrivilege",
		"SeImpersonatePrivilege", "SeCreateGlobalPrivilege", "SeIncreaseWorkingSetPrivilege",
		"SeTimeZonePrivilege", "SeCreateSymbolicLinkPrivilege",
		"SeDelegateSessionUserImpersonatePrivilege"}
	systemPrivileges = append([]string{"SeAssignPrimaryTokenPrivilege", "SeLockMemoryPrivilege",
		"SeTcbPrivilege", "SeCreatePermanentPrivilege", "SeAuditPrivilege",
		"SeCreateTokenPrivilege"}, adminPrivileges...)
)

// Privileges enabled by default (R, docs/evidence.md#E-token-groups):
// SeChangeNotifyPrivilege for every user; an elevated admin's also
// SeImpersonatePrivilege and SeCreateGlobalPrivilege; SYSTEM's G.
var (
	userEnabled   = []string{"SeChangeNotifyPrivilege"}
	adminEnabled  = []string{"SeChangeNotifyPrivilege", "SeImpersonatePrivilege", "SeCreateGlobalPrivilege"}
	systemEnabled = []string{"SeTcbPrivilege", "SeCreatePermanentPrivilege", "SeAuditPrivilege", "SeLockMemoryPrivilege",
		"SeDebugPrivilege", "SeChangeNotifyPrivilege", "SeImpersonatePrivilege", "SeCreateGlobalPrivilege"}
)

// NewToken builds a token as Windows gives one to a local account.
//
// Groups (G, from `whoami /groups` on local accounts; to confirm): Everyone,
// BUILTIN\Users, the logon group of spec.Logon (D, LogonType.LogonGroup:
// INTERACTIVE with CONSOLE LOGON for an interactive logon, NETWORK for
// WinRM, BATCH for a scheduled task's S4U or stored-password logon,
// SERVICE for a service), LOCAL unless the logon came over the network,
// Authenticated Users, This Organization, Local account, NTLM
// Authentication and the integrity label.
// Admins add BUILTIN\Administrators and "Local account and member of
// Administrators group": enabled when elevated, deny-only when UAC-filtered
// (D: "SID Attributes in an Access Token", "How User Account Control works").
// SYSTEM: Administrators (enabled, owner), Everyone, Authenticated Users,
// System label.
//
// Default owner: Administrators for an elevated admin (D: "How Security
// Descriptors are Set on New Directory Objects": members of Administrators
// get the Administrators group as default owner) and for SYSTEM (G, per
// the project brief); the user otherwise.
func NewToken(spec TokenSpec) *Token {
	t := &Token{Kind: spec.Kind, User: spec.User, Logon: spec.Logon}
	if spec.Kind == KindSystem {
		t.User = SIDSystem
		t.Owner = SIDAdministrators
		t.PrimaryGroup = SIDSystem
		t.Integrity = IntegritySystem
		t.Elevated = true
		t.Groups = []Group{{SIDAdministrators, on | GroupOwner}, {SIDEveryone, on},
			{SIDAuthenticatedUsers, on}, {SIDSystemLabel, label}}
		t.Privileges = slices.Clone(systemPrivileges)
		t.EnabledPrivileges = slices.Clone(systemEnabled)
		t.DefaultDACL = []ACE{{AccessAllowed, 0, GenericAll, SIDSystem},
			{AccessAllowed, 0, GenericAll, SIDAdministrators}}
		return t
	}
	if t.Logon == LogonDefault {
		t.Logon = LogonInteractive
		if spec.Kind == KindAdminElevated {
			t.Logon = LogonNetwork
		}
	}
	if spec.Domain != "" {
		t.PrimaryGroup = spec.Domain.WithRID(513)
	}
	t.Groups = []Group{{SIDEveryone, on}}
	switch spec.Kind {
	case KindAdminElevated:
		t.Groups = append(t.Groups, Group{SIDLocalAccountAdmin, on},
			Group{SIDAdministrators, on | GroupOwner})
	case KindAdminFiltered:
		t.Groups = append(t.Groups, Group{SIDLocalAccountAdmin, denyOnl},
			Group{SIDAdministrators, denyOnl})
	}
	t.Groups = append(t.Groups, Group{SIDUsers, on})
	t.Groups = append(t.Groups, Group{t.Logon.LogonGroup(), on})
	if t.Logon == LogonInteractive {
		t.Groups = append(t.Groups, Group{SIDConsoleLogon, on})
	}
	t.Groups = append(t.Groups, Group{SIDAuthenticatedUsers, on},
		Group{SIDThisOrganization, on}, Group{SIDLocalAccount, on})
	if t.Logon != LogonNetwork {
		t.Groups = append(t.Groups, Group{SIDLocal, on})
	}
	t.Groups = append(t.Groups, Group{SIDNTLMAuthentication, on})
	t.Owner = t.User
	t.Integrity = IntegrityMedium
	t.Privileges = slices.Clone(userPrivileges)
	t.EnabledPrivileges = slices.Clone(userEnabled)
	t.DefaultDACL = []ACE{{AccessAllowed, 0, GenericAll, t.User},
		{AccessAllowed, 0, GenericAll, SIDSystem}}
	if spec.Kind == KindAdminElevated {
		t.Owner = SIDAdministrators
		t.Integrity = IntegrityHigh
		t.Elevated = true
		t.Privileges = slices.Clone(adminPrivileges)
		t.EnabledPrivileges = slices.Clone(adminEnabled)
		t.DefaultDACL = []ACE{{AccessAllowed, 0, GenericAll, SIDAdministrators},
			{AccessAllowed, 0, GenericAll, SIDSystem}}
	}
	t.Groups = append(t.Groups, Group{t.Integrity.SID(), label})
	return t
}

// SystemToken is the LocalSystem token.
func SystemToken() *Token { return NewToken(TokenSpec{Kind: KindSystem}) }

// Clone returns a deep copy.
func (t *Token) Clone() *Token {
	c := *t
	c.Groups = slices.Clone(t.Groups)
	c.Privileges = slices.Clone(t.Privileges)
	c.EnabledPrivileges = slices.Clone(t.EnabledPrivileges)
	c.DefaultDACL = slices.Clone(t.DefaultDACL)
	return &c
}

// Enabled reports whether s is the user or an enabled group: what allow
// ACEs match.
func (t *Token) Enabled(s SID) bool {
	if s == t.User {
		return true
	}
	for _, g := range t.Groups {
		if g.SID == s && g.Attrs&GroupEnabled != 0 && g.Attrs&GroupDenyOnly == 0 {
			return true
		}
	}
	return false
}

// MatchesDeny reports whether a deny ACE for s applies: the user, an
// enabled group or a deny-only group.
func (t *Token) MatchesDeny(s SID) bool {
	if t.Enabled(s) {
		return true
	}
	for _, g := range t.Groups {
		if g.SID == s && g.Attrs&GroupDenyOnly != 0 {
			return true
		}
	}
	return false
}

// IsAdmin reports an enabled Administrators group: an elevated admin or
// SYSTEM. A UAC-filtered admin is not.
func (t *Token) IsAdmin() bool { return t != nil && t.Enabled(SIDAdministrators) }

// HasPrivilege reports whether the token holds a privilege.
func (t *Token) HasPrivilege(name string) bool { return slices.Contains(t.Privileges, name) }
