package ops

// Local user ops.
const (
	OpUserEnsure = "user.ensure"
	OpUserGet    = "user.get"
	OpUserLogon  = "user.logon"
	OpUserToken  = "user.token"
)

// UserEnsureArgs creates a standard local user (a member of Users, not of
// Administrators) if missing, else sets its password. The account running
// the batch and any administrator (a member of Administrators by SID, or
// the built-in Administrator, RID 500) are refused as Conflict.
type UserEnsureArgs struct {
	Name     string `json:"name"`
	Password string `json:"password"`
}

// UserArgs names a user.
type UserArgs struct {
	Name string `json:"name"`
}

// User describes a local account.
type User struct {
	Name    string `json:"name"`
	Exists  bool   `json:"exists"`
	SID     string `json:"sid,omitempty"`
	Admin   bool   `json:"admin,omitempty"`
	Enabled bool   `json:"enabled,omitempty"`
	Profile string `json:"profile,omitempty"` // C:\Users\<name>, once created
}

// UserEnsured is what user.ensure returns: the account before (Exists
// false if it was created) and after. The password is never returned.
type UserEnsured struct {
	Before  User `json:"before"`
	User    User `json:"user"`
	Created bool `json:"created"`
}

// UserLogonArgs names a local account to log on interactively, as the
// LogonInteractive contexts do; its password comes from the batch's
// logons (Request.Logons), never from the arguments.
type UserLogonArgs struct {
	Name string `json:"name"`
}

// UserLogon is what user.logon returns: whether Windows lets the account
// log on interactively (LogonUser with LOGON32_LOGON_INTERACTIVE) and, when
// it does, the profile the logon loaded (the first logon creates it). A
// refused logon is a result, not an op error: Right names the user right
// that refused it (SeInteractiveLogonRight missing, or
// SeDenyInteractiveLogonRight held), Win32 the logon's error (1385; 1326 for
// a wrong password; 1331 for a disabled account).
type UserLogon struct {
	Name           string `json:"name"`
	SID            string `json:"sid,omitempty"`
	Logon          string `json:"logon"` // LogonInteractive
	OK             bool   `json:"ok"`
	Profile        string `json:"profile,omitempty"`
	ProfileCreated bool   `json:"profile_created,omitempty"`
	Right          string `json:"right,omitempty"`
	Win32          int    `json:"win32,omitempty"`
	Message        string `json:"message,omitempty"`
}

// Problem says what stops the logon, naming the missing right; "" when it
// succeeded.
func (l UserLogon) Problem() string {
	switch {
	case l.OK:
		return ""
	case l.Right == "SeInteractiveLogonRight":
		return l.Name + ` may not log on interactively: it lacks the user right "Allow log on locally" (SeInteractiveLogonRight); ` +
			`grant it to the account or to BUILTIN\Users (Local Security Policy, User Rights Assignment)`
	case l.Right == "SeDenyInteractiveLogonRight":
		return l.Name + ` may not log on interactively: it holds the user right "Deny log on locally" (SeDenyInteractiveLogonRight); ` +
			`remove the account and its groups from it`
	}
	return l.Name + " cannot log on interactively: " + l.Message
}

// UserTokenArgs names the context whose token user.token reads, obtained
// by the context's default logon (ContextLogons) as msi.install obtains
// it: admin-elevated is the WinRM session's own token; admin-filtered the
// connecting administrator's interactive logon and standard-user User's
// (DefaultStandardUser when ""), each with its password from the batch's
// logons; system LocalSystem's (a scheduled task on a real host).
type UserTokenArgs struct {
	Context string `json:"context,omitempty"` // "" is admin-elevated
	User    string `json:"user,omitempty"`    // standard-user only
}

// UserToken is what user.token returns: the token's user, groups and
// privileges as `whoami /user /groups /priv` shows them (the groups in
// the token's order, the user not among them).
type UserToken struct {
	Context    string           `json:"context"`
	Logon      string           `json:"logon"` // ContextLogons[Context][0]
	User       string           `json:"user"`  // HOST\name or NT AUTHORITY\SYSTEM
	SID        string           `json:"sid"`
	Groups     []TokenGroup     `json:"groups"`
	Privileges []TokenPrivilege `json:"privileges"`
}

// TokenGroup is one of a token's groups: its SID, its name ("" when it
// does not translate) and its SE_GROUP_* attributes (win.GroupAttrs:
// 0x7 mandatory and enabled, 0x10 deny-only, 0x60 an integrity label,
// 0xC0000000 the logon SID).
type TokenGroup struct {
	SID        string `json:"sid"`
	Name       string `json:"name"`
	Attributes uint32 `json:"attributes"`
}

// TokenPrivilege is a privilege the token holds, enabled or disabled.
type TokenPrivilege struct {
	Name    string `json:"name"`
	Enabled bool   `json:"enabled"`
}
