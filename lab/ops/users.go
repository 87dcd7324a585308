package ops

// Local user ops.
const (
	OpUserEnsure = "user.ensure"
	OpUserGet    = "user.get"
)

// UserEnsureArgs creates a local user if missing. A standard lab user has
// Admin false (a member of Users only).
type UserEnsureArgs struct {
	Name     string `json:"name"`
	Password string `json:"password"`
	Admin    bool   `json:"admin,omitempty"`
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
